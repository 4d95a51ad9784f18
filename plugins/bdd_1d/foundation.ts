/**
 * Foundation-model initialisation of BDD-1D's ViT (upstream's
 * `pretrained_model_name`: MAE, DINO_TITOK, CLIP, DINO_V2, DEPTH_ANYTHING_V2),
 * as a pure key map: a foundation checkpoint's tensors, in the layout it is
 * published in, → the encoder parameters of a BDD-1D graph (`encoder.*`).
 *
 * What upstream does (`VQModel2WithEntropyDINOLossMAEinit.__init__`) and this
 * reproduces: timm's weights are loaded with `strict=False` into a plain
 * ViT-B, so
 * - `pos_embed` is replaced by zeros of (1, 1+N+K, W) — the pretrained
 *   positions are discarded — and `prompt_tokens` keep their zero init;
 * - what the plain ViT has no slot for is dropped: CLIP's `ln_pre`
 *   (`norm_pre`) and projection head, DINOv2's layer scales (`ls1/ls2.gamma`)
 *   and `mask_token`, MAE's decoder, Depth-Anything's `depth_head`;
 * - a 14×14 patch kernel (DINOv2, Depth-Anything v2) is resampled to the
 *   target patch as timm's `checkpoint_filter_fn` does (patch_resample.ts).
 *   Upstream's Depth-Anything path loads the 14×14 kernel into the 16×16 conv
 *   unresampled, which torch refuses (size mismatch): tok1d resamples it as
 *   for DINOv2.
 * - CLIP's conv1 has no bias; upstream keeps the fresh conv's random bias,
 *   tok1d sets it to zero (reported in `missing`).
 *
 * Layouts: `mae` (facebookresearch/mae `mae_pretrain_vit_base.pth` or timm's
 * `vit_base_patch16_224.mae`), `dino` (facebookresearch/dino
 * `dino_vitbase16_pretrain.pth` or timm's `.dino`), `clip` (OpenAI/OpenCLIP
 * `visual.*` keys, or timm's converted CLIP names), `dinov2`
 * (facebookresearch/dinov2 `dinov2_vitb14_pretrain.pth` or timm's `.lvd142m`),
 * `depth_anything_v2` (`depth_anything_v2_vitb.pth`: `pretrained.*` +
 * `depth_head.*`); each also in its Hugging Face `transformers` layout
 * (foundation_hf.ts). {@link detectFoundationLayout} tells them apart by
 * their keys where they differ (the plain ViTs of MAE and DINO map alike).
 *
 * Positions: `as-upstream` (the default) zeroes the table as above;
 * `interpolate` keeps the class row, resamples the pretrained patch rows to the
 * target grid as timm does when it creates a model at another size
 * (antialiased bicubic, core/weights/pos_embed_resample.ts) and starts the
 * prompt rows at zero.
 *
 * @example
 * ```ts
 * const m = mapFoundationWeights(loadCheckpoint("dino_vitbase16_pretrain.pth").tensors, "dino",
 *   { image: 256, patch: 16, extraTokens: 64 });
 * m.tensors.get("encoder.blocks.0.attn.qkv.weight"); // (2304, 768)
 * ```
 * @module
 */
import { UsageError } from "../../core/errors.ts";
import type { InitMapper } from "../../core/plugin.ts";
import type { Tensor } from "../../core/tensor.ts";
import { resamplePosEmbed } from "../../core/weights/pos_embed_resample.ts";
import { fromHfTransformers, isHfTransformers } from "./foundation_hf.ts";
import type { BddConfig } from "./config.ts";
import { dims } from "./model.ts";
import { resamplePatchKernel } from "./patch_resample.ts";

/** The foundation checkpoints upstream initialises from. */
export const FOUNDATION_LAYOUTS = ["mae", "dino", "clip", "dinov2", "depth_anything_v2"] as const;
export type FoundationLayout = (typeof FOUNDATION_LAYOUTS)[number];

/** Upstream's `pretrained_model_name` → layout. */
export const PRETRAINED_NAMES: Readonly<Record<string, FoundationLayout>> = {
  MAE: "mae",
  DINO_TITOK: "dino",
  CLIP: "clip",
  DINO_V2: "dinov2",
  DEPTH_ANYTHING_V2: "depth_anything_v2",
};

/** The ViT the weights go to. */
export interface FoundationTarget {
  image: number;
  patch: number;
  /** K prompt tokens. */
  extraTokens: number;
  /** Key prefix of the result (default "encoder."). */
  prefix?: string;
  /** Positional table: zeroed as upstream (default) or the pretrained one interpolated. */
  posEmbed?: PosEmbedMode;
}

/** How `--pos-embed` initialises the positional table. */
export const POS_EMBED_MODES = ["as-upstream", "interpolate"] as const;
export type PosEmbedMode = (typeof POS_EMBED_MODES)[number];

/**
 * The layout a checkpoint's keys show, where they show one: CLIP (`visual.*`,
 * `vision_model.*`), Depth-Anything v2 (`pretrained.*`, or a `backbone.` with
 * `neck.*`/`head.*`), DINOv2 (layer scales), MAE (a decoder); undefined for a
 * plain ViT (MAE's encoder alone and DINO are alike).
 */
export function detectFoundationLayout(tensors: Map<string, Tensor>): FoundationLayout | undefined {
  const keys = [...tensors.keys()];
  const any = (re: RegExp) => keys.some((k) => re.test(k));
  if (any(/^(module\.)?visual\./) || any(/^vision_model\./)) return "clip";
  if (any(/^pretrained\./) || (any(/^backbone\.embeddings\./) && any(/^(neck|head)\./))) {
    return "depth_anything_v2";
  }
  if (any(/\.(ls1\.gamma|layer_scale1\.lambda1)$/)) return "dinov2";
  if (any(/^decoder(_|\.)/)) return "mae";
  return undefined;
}

/** The mapped tensors and what happened to the rest. */
export interface FoundationWeights {
  tensors: Map<string, Tensor>;
  /** Source keys with no slot in the plain ViT. */
  dropped: string[];
  /** Target keys the source lacks, filled with upstream's init (zeros). */
  missing: string[];
}

const zeros = (shape: number[]): Tensor<"float32"> => ({
  dtype: "float32",
  shape,
  data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
});

/** OpenAI/OpenCLIP `visual.*` → timm names (timm's `_convert_openai_clip`). */
function fromClip(src: Map<string, Tensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const swaps: [string, string][] = [
    ["conv1", "patch_embed.proj"],
    ["positional_embedding", "pos_embed"],
    ["transformer.resblocks.", "blocks."],
    ["ln_pre", "norm_pre"],
    ["ln_post", "norm"],
    ["ln_", "norm"],
    ["in_proj_", "qkv."],
    ["out_proj", "proj"],
    ["mlp.c_fc", "mlp.fc1"],
    ["mlp.c_proj", "mlp.fc2"],
  ];
  for (const [key, t] of src) {
    const prefix = ["visual.", "module.visual."].find((p) => key.startsWith(p));
    if (!prefix) {
      out.set(key, t);
      continue;
    }
    let k = key.slice(prefix.length);
    for (const [a, b] of swaps) k = k.replace(a, b);
    if (k === "proj") k = "head.weight";
    else if (k === "class_embedding") {
      out.set("cls_token", { ...t, shape: [1, 1, ...t.shape] });
      continue;
    }
    out.set(k, t);
  }
  return out;
}

/** The pretrained table (cls + g² rows, or CLIP's (1+g², W)) with its patch rows resampled to the target grid, prompt rows zero. */
function interpolated(pos: Tensor | undefined, target: FoundationTarget, width: number): Tensor<"float32"> {
  if (!pos) {
    throw new UsageError("--pos-embed interpolate: the checkpoint has no positional embedding (pos_embed)");
  }
  const table = pos.shape.length === 2 ? { ...pos, shape: [1, ...pos.shape] } : pos;
  if (table.shape[2] !== width) {
    throw new UsageError(
      `--pos-embed interpolate: pos_embed has width ${table.shape[2]}, the patch embedding ${width}`,
    );
  }
  const grid = target.image / target.patch;
  const resampled = resamplePosEmbed(table, 1, grid, { antialias: true });
  const out = zeros([1, 1 + grid * grid + target.extraTokens, width]);
  out.data.set(resampled.data as Float32Array);
  return out;
}

/** Keys the plain timm ViT has a slot for. */
const VIT_KEY =
  /^(cls_token|pos_embed|patch_embed\.proj\.(weight|bias)|norm\.(weight|bias)|blocks\.\d+\.(norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2)\.(weight|bias))$/;

/**
 * A foundation checkpoint (flat state dict, as loadCheckpoint returns it) → the
 * BDD-1D encoder parameters, with upstream's zeroed positions and prompt tokens.
 */
export function mapFoundationWeights(
  tensors: Map<string, Tensor>,
  layout: FoundationLayout,
  target: FoundationTarget,
): FoundationWeights {
  if (!FOUNDATION_LAYOUTS.includes(layout)) {
    throw new UsageError(`foundation layout '${layout}': expected one of ${FOUNDATION_LAYOUTS.join(", ")}`);
  }
  let src = tensors;
  const dropped: string[] = [];
  if (layout === "depth_anything_v2") {
    src = new Map();
    for (const [k, t] of tensors) {
      if (k.startsWith("pretrained.")) src.set(k.slice("pretrained.".length), t);
      else dropped.push(k);
    }
  }
  if (isHfTransformers(src)) src = fromHfTransformers(src);
  else if (layout === "clip") src = fromClip(src);
  const out = new Map<string, Tensor>();
  for (const [k, t] of src) {
    if (VIT_KEY.test(k) && k !== "pos_embed") out.set(k, t);
    else if (k !== "pos_embed") dropped.push(k);
  }
  const pretrainedPos = src.get("pos_embed");
  const proj = out.get("patch_embed.proj.weight");
  if (!proj) {
    throw new UsageError(
      `${layout} checkpoint has no patch embedding (patch_embed.proj.weight / visual.conv1.weight)`,
    );
  }
  const [width] = proj.shape;
  if (proj.shape[2] !== target.patch || proj.shape[3] !== target.patch) {
    out.set("patch_embed.proj.weight", resamplePatchKernel(proj, target.patch, target.patch));
  }
  const missing: string[] = [];
  if (!out.has("patch_embed.proj.bias")) {
    out.set("patch_embed.proj.bias", zeros([width]));
    missing.push("patch_embed.proj.bias");
  }
  const n = (target.image / target.patch) ** 2;
  out.set("pos_embed", zeros([1, 1 + n + target.extraTokens, width]));
  if (target.posEmbed === "interpolate") out.set("pos_embed", interpolated(pretrainedPos, target, width));
  out.set("prompt_tokens", zeros([1, target.extraTokens, width]));
  const prefix = target.prefix ?? "encoder.";
  return {
    tensors: new Map([...out].map(([k, t]) => [prefix + k, t])),
    dropped: dropped.sort(),
    missing: missing.map((k) => prefix + k),
  };
}

/**
 * The family's `--init` mapper: the layout the keys show (detectFoundationLayout),
 * else the config's `pretrained_model_name` (DINO_TITOK → dino), else dino;
 * refused for the un-initialised encoder (`pretrained: false`), which has no timm ViT.
 */
export const BDD_INIT: InitMapper<BddConfig> = {
  what: "a ViT-B checkpoint of MAE, DINO, CLIP, DINOv2 or Depth-Anything v2 (timm, original or HF layout)",
  posEmbed: POS_EMBED_MODES,
  map(tensors, config, o) {
    const d = dims(config);
    if (d.scratch) {
      throw new UsageError(
        "model.params.encoder_config.params.pretrained is false: upstream's un-initialised EncoderVIT has " +
          "no timm ViT to initialise",
      );
    }
    const named = PRETRAINED_NAMES[config.model.params.pretrained_model_name ?? ""];
    const layout = detectFoundationLayout(tensors) ?? named ?? "dino";
    const r = mapFoundationWeights(tensors, layout, {
      image: d.vit.image,
      patch: d.vit.patch,
      extraTokens: d.k,
      posEmbed: o.posEmbed as PosEmbedMode | undefined,
    });
    return { layout, tensors: r.tensors, unused: r.dropped, filled: r.missing };
  },
};
