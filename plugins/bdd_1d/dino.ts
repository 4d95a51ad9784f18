/**
 * The DINO feature loss of BDD-1D's training and the `dino` helper network it
 * runs. Upstream (`taming/models/vqgan_dino.py`) names the network — timm's
 * `vit_base_patch16_224.dino`, DINO's self-supervised ViT-B/16 — and the
 * features — its `forward_features` (after the final norm) without the class
 * token, under `no_grad` — compared by `1 − cosine_similarity` over the
 * channels (`VQModel2WithEntropyDINOLoss.dino_loss`, dim=1), averaged, at
 * `dino_loss_weight` (1.0 in configs/vqgan_baseline.yaml). Upstream's shipped
 * model never computes the term (`dino_loss=None`; its decoder has no feature
 * head), so tok1d compares DINO's features of the reconstruction with those of
 * the input, both in the model's [−1, 1] range as upstream feeds DINO, and
 * trains it only in the `ae_dino` stage.
 *
 * The helper's file is DINO's checkpoint in timm's (or facebookresearch/dino's,
 * the same) key names; its positional table is resampled bicubically to the
 * training image's patch grid when they differ (resamplePosEmbed). Its size is
 * ViT-B/16 unless the tok1d key `loss_config.params.dino_arch` says otherwise
 * (test configs use a tiny one).
 *
 * @example
 * ```ts
 * const term = dinoFeatureLoss(g, x, reconstruction, dinoArch(config)); // scalar
 * ```
 * @module
 */
import type { Graph, Value } from "../../core/graph/graph.ts";
import {
  clip,
  div,
  f32,
  mul,
  reduceMean,
  reduceSum,
  slice,
  sqrt,
  stopGradient,
  sub,
} from "../../core/ops/mod.ts";
import { TIMM_VIT_B16, type TimmVitArch, timmVitFeatures } from "../../core/nn/timm_vit.ts";
import type { HelperNetwork } from "../../core/plugin.ts";
import type { Tensor } from "../../core/tensor.ts";
import { resamplePosEmbed } from "../../core/weights/pos_embed_resample.ts";
import type { BddConfig } from "./config.ts";
import { dims } from "./model.ts";
import { bddLossSettings } from "./train_config.ts";

/** Graph-parameter prefix of the DINO network. */
export const DINO_PREFIX = "dino.";

/** The DINO ViT's size for a config: ViT-B/16 over the training images, or `dino_arch`. */
export function dinoArch(c: BddConfig): TimmVitArch {
  const a = bddLossSettings(c).dino_arch;
  return {
    image: dims(c).image,
    patch: a?.patch ?? TIMM_VIT_B16.patch,
    width: a?.width ?? TIMM_VIT_B16.width,
    depth: a?.depth ?? TIMM_VIT_B16.depth,
    heads: a?.heads ?? TIMM_VIT_B16.heads,
    mlpDim: a?.mlp_dim ?? TIMM_VIT_B16.mlpDim,
    extraTokens: 0,
  };
}

/** DINO's patch features (B, N, W) of an image in [−1, 1]: final-norm sequence without the class token. */
export function dinoFeatures(g: Graph, x: Value, arch: TimmVitArch): Value {
  const seq = g.scope("dino", () => timmVitFeatures(g, x, arch));
  return slice(g, seq, 1, 1, seq.shape[1] as number);
}

/** torch's cosine_similarity over the last axis: x·y / √max(‖x‖²‖y‖², 1e−16). */
function cosine(g: Graph, a: Value, b: Value): Value {
  const dot = reduceSum(g, mul(g, a, b), [-1], false);
  const aa = reduceSum(g, mul(g, a, a), [-1], false);
  const bb = reduceSum(g, mul(g, b, b), [-1], false);
  return div(g, dot, sqrt(g, clip(g, mul(g, aa, bb), 1e-16, 3.4e38)));
}

/** mean(1 − cos(DINO(x̂), sg(DINO(x)))) over batch and patches; both images in [−1, 1]. */
export function dinoFeatureLoss(g: Graph, real: Value, fake: Value, arch: TimmVitArch): Value {
  const target = stopGradient(g, dinoFeatures(g, real, arch));
  const cos = cosine(g, dinoFeatures(g, fake, arch), target);
  const one = g.constant(f32([], [1]), "one");
  return reduceMean(g, sub(g, one, cos), cos.shape.map((_, i) => i), false);
}

/** timm ViT keys the DINO network has (the classifier `head` and anything else are left out). */
const VIT_KEY =
  /^(cls_token|pos_embed|patch_embed\.proj\.(weight|bias)|norm\.(weight|bias)|blocks\.\d+\.(norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2)\.(weight|bias))$/;

/** DINO checkpoint (timm / facebookresearch names, optional `module.` or `backbone.`) → `dino.*`. */
export function loadDino(tensors: Map<string, Tensor>, c: BddConfig): Map<string, Tensor> {
  const arch = dinoArch(c);
  const out = new Map<string, Tensor>();
  for (const [key, t] of tensors) {
    const k = key.replace(/^(module\.|backbone\.)/, "");
    if (!VIT_KEY.test(k)) continue;
    const grid = arch.image / arch.patch;
    const resample = k === "pos_embed" && t.shape[1] !== 1 + grid * grid;
    out.set(DINO_PREFIX + k, resample ? resamplePosEmbed(t, 1, grid) : t);
  }
  return out;
}

/** The `dino` helper: DINO ViT-B/16, frozen, used by the `ae_dino` stage. */
export const DINO_HELPER: HelperNetwork<BddConfig> = {
  prefix: DINO_PREFIX,
  stages: ["ae_dino"],
  what: "DINO ViT-B/16 weights (self-supervised; upstream's timm `vit_base_patch16_224.dino`)",
  file: "dino_vitbase16_pretrain.pth",
  published:
    "facebookresearch/dino (dl.fbaipublicfiles.com/dino) or the HF repo timm/vit_base_patch16_224.dino",
  load: loadDino,
};
