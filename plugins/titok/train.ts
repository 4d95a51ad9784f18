/**
 * TiTok's training losses (architectures.md §1.6), as loss builders for the
 * train-step graph:
 * - `single`: the single-stage recipe of the direct-pixel (BL/SL/LL) models —
 *   pixel MSE + VQ loss (commitment β + codebook) or 1e-6·KL for the VAE
 *   (tok1d's FSQ bottleneck adds no term);
 * - `stage1`: proxy codes — cross-entropy of the decoder's 1024-way logits
 *   against the codes a frozen MaskGIT-VQGAN (`teacher.*`) assigns, + VQ loss;
 * - `stage2`: decoder fine-tune of the two-stage models — pixel MSE through
 *   the softmax-weighted codebook and the MaskGIT-VQGAN decoder, with the
 *   encoder, latent tokens and quantizer frozen (their loss weight is 0).
 * The GAN term of `single` and `stage2` comes in as `adversarial` (an
 * {@link ImageLossTerm} on the image and the reconstruction; the graph then
 * also outputs `reconstruction` for the discriminator step); a perceptual
 * term plugs in the same way as `perceptual` (its networks' weights are the
 * user's files: see {@link titokPerceptual} and core/train/perceptual.ts). Upstream's total: reconstruction +
 * perceptual_weight·perceptual + quantizer/KL + weight·factor·gan.
 * @module
 */
import type { Graph, Value } from "../../core/graph/graph.ts";
import type { Feed, LossBuilder } from "../../core/autodiff/train_step.ts";
import type { AdamWOptions } from "../../core/autodiff/optimizer.ts";
import type { GanSettings } from "../../core/losses/gan.ts";
import type { HelperNetwork, ImageLossTerm, PerceptualSettings } from "../../core/plugin.ts";
import {
  checkProxyCodeConfig,
  MASKGIT_TEACHER,
  proxyCodeCrossEntropy,
} from "../../core/losses/proxy_codes.ts";
import { add, f32, mul, reduceMean, reduceSum, reshape, sub, transpose } from "../../core/ops/mod.ts";
import { type DeadCodeOptions, deadCodeRestart } from "../../core/quantizers/dead_code.ts";
import { l2normalize } from "../../core/quantizers/_l2.ts";
import { gaussianKl, gaussianPosterior, gaussianSample, vqQuantize } from "../../core/quantizers/mod.ts";
import type { TiTokConfig } from "./config.ts";
import { dims, titokDecoder, titokEncoder, titokQuantize, vqOptions } from "./model.ts";

/** Training stages TiTok supports here. */
export type TitokStage = "single" | "stage1" | "stage2";

/** Loss weights and the fixed batch size of the step graph. */
export interface TitokLossOptions {
  stage: TitokStage;
  batch: number;
  quantizerWeight?: number;
  klWeight?: number;
  /** The generator's GAN term (`single`, `stage2`). */
  adversarial?: ImageLossTerm;
  /** A perceptual term (`single`, `stage2`). */
  perceptual?: ImageLossTerm;
  /** Restart dead codes (`single`/`stage1` VQ; see {@link titokVqRestart}). */
  vqRestart?: DeadCodeOptions;
}

const IMAGES = { kind: "images" } as const;
/** The VAE posterior's standard-normal draws (the trainer scales them by its noise scale). */
const NOISE = { kind: "normal" } as const;
const meanAll = (g: Graph, v: Value) => reduceMean(g, v, v.shape.map((_, i) => i), false);
const sq = (g: Graph, v: Value) => mul(g, v, v);
const c = (g: Graph, v: number) => g.constant(f32([], [v]), "w");

/** VQ with straight-through and both loss terms (TiTok's convention); z is (B,1,K,C). */
function vqTrain(g: Graph, z: Value, cfg: TiTokConfig) {
  const q = g.scope("quantize", () => vqQuantize(g, z, vqOptions(cfg)));
  return {
    straight: q.quantized,
    indices: q.indices,
    commitment: q.losses.commitment_loss,
    codebook: q.losses.codebook_loss,
  };
}

/**
 * Dead-code restart of the codebook (not in upstream's recipe; `--vq-restart`): code-usage EMA as
 * carried state, restart targets drawn from this batch's encoder outputs.
 */
function vqRestartParts(g: Graph, z: Value, indices: Value, cfg: TiTokConfig, o: DeadCodeOptions) {
  const vq = vqOptions(cfg);
  const n = (z.shape as number[]).slice(0, -1).reduce((a, b) => a * b, 1);
  const usage = g.input("quantize.code_usage", "float32", [vq.codebookSize]);
  const pick = g.input("quantize.restart_pick", "int64", [vq.codebookSize]);
  const flat = reshape(g, vq.l2norm ? l2normalize(g, z) : z, [n, vq.dim]);
  const r = g.scope(
    "quantize",
    () => deadCodeRestart(g, vq.codebookSize, flat, reshape(g, indices, [n]), usage, pick, o),
  );
  return {
    state: { [usage.name]: r.usage },
    draws: { [pick.name]: n },
    restarts: { "quantize.embedding.weight": { rows: r.rows, mask: r.mask } },
  };
}

/** Stage 1 needs the logit head, on the teacher's code grid. */
function checkStage1(cfg: TiTokConfig): void {
  checkProxyCodeConfig(cfg.model.vq_model, cfg.dataset.preprocessing.crop_size);
}

/** The loss builder for `cfg` and `o`. */
export function titokLoss(cfg: TiTokConfig, o: TitokLossOptions): LossBuilder {
  const d = dims(cfg);
  const qw = o.quantizerWeight ?? 1;
  if (o.stage === "stage1") checkStage1(cfg);
  return (g) => {
    const image = g.input("image", "float32", [o.batch, 3, d.image, d.image]);
    const raw = titokEncoder(g, image, cfg);
    const terms: Record<string, Value> = {};
    let latent: Value;
    let restart: ReturnType<typeof vqRestartParts> | undefined;
    let tokens: Value | undefined;
    if (d.vae) {
      const post = gaussianPosterior(g, raw, 1);
      latent = gaussianSample(g, post, g.input("noise", "float32", [o.batch, d.c, 1, d.k]));
      terms.kl = div(g, reduceSum(g, gaussianKl(g, post, [1, 2, 3]), [0], false), o.batch);
    } else if (d.fsq) {
      const q = titokQuantize(g, transpose(g, raw, [0, 2, 3, 1]), cfg);
      latent = transpose(g, q.quantized, [0, 3, 1, 2]);
      tokens = q.indices;
    } else {
      const z = transpose(g, raw, [0, 2, 3, 1]);
      const vq = vqTrain(g, z, cfg);
      tokens = vq.indices;
      latent = transpose(g, vq.straight, [0, 3, 1, 2]);
      if (o.vqRestart) restart = vqRestartParts(g, z, vq.indices, cfg, o.vqRestart);
      terms.commitment = vq.commitment;
      terms.codebook = vq.codebook;
    }
    const out = titokDecoder(g, latent, cfg);
    if (o.stage === "stage1") {
      if (!out.logits || !cfg.model.vq_model.is_legacy) {
        throw new Error("stage1 needs a legacy (logit head) config");
      }
      terms.ce = proxyCodeCrossEntropy(g, image, out.logits, d.decGrid);
    } else {
      terms.mse = meanAll(g, sq(g, sub(g, out.image, image)));
    }
    if (o.stage === "stage2") {
      delete terms.commitment;
      delete terms.codebook;
    }
    const extra = { perceptual: o.perceptual, gan: o.adversarial };
    if (o.stage === "stage1" && (extra.perceptual || extra.gan)) {
      throw new Error("stage1 trains on proxy codes: no image, so no perceptual or GAN term");
    }
    let total = terms.mse ?? terms.ce;
    const weighted = (v: Value, w: number) => (total = add(g, total, mul(g, v, c(g, w))));
    if (extra.perceptual) {
      weighted(terms.perceptual = extra.perceptual.build(g, image, out.image), extra.perceptual.weight);
    }
    if (terms.commitment) weighted(add(g, terms.commitment, terms.codebook), qw);
    if (terms.kl) weighted(terms.kl, o.klWeight ?? 1e-6);
    if (extra.gan) weighted(terms.gan = extra.gan.build(g, image, out.image), extra.gan.weight);
    const outputs: Record<string, Value> = extra.gan ? { reconstruction: out.image } : {};
    // The batch's token ids (B,1,K): the trainer warns when they collapse (core/train/collapse.ts).
    if (tokens) outputs.tokens = tokens;
    const feeds: Record<string, Feed> = d.vae ? { image: IMAGES, noise: NOISE } : { image: IMAGES };
    return { terms, total, outputs, feeds, ...restart };
  };
}

function div(g: Graph, v: Value, n: number): Value {
  return mul(g, v, c(g, 1 / n));
}

/** Which parameters a stage optimises: stage 2 trains the decoders only; no stage trains the teacher. */
export function titokTrainable(_cfg: TiTokConfig, o: TitokLossOptions): (name: string) => boolean {
  if (o.stage === "stage2") return (name) => /^(decoder|pixel_quantize|pixel_decoder)\./.test(name);
  if (o.stage === "stage1") return (name) => !/^(teacher|pixel_quantize|pixel_decoder)\./.test(name);
  return (name) => !name.startsWith("teacher.");
}

/** TiTok's stage-1 AdamW: β (0.9, 0.99), eps 1e-8, weight decay 1e-4, gradient clipping at norm 1. */
const STAGE1_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 1e-4, clipNorm: 1 };

/** Upstream's optimizer per stage: betas (0.9, 0.99) for stage 1, (0.9, 0.999) for stage 2 and single-stage. */
export function titokAdamW(stage: TitokStage): AdamWOptions {
  return stage === "stage1" ? STAGE1_ADAMW : { ...STAGE1_ADAMW, beta2: 0.999 };
}

/** Stages whose VQ codebook trains (VQ configs outside stage 2) can restart dead codes. */
export function titokVqRestart(cfg: TiTokConfig, stage: TitokStage): boolean {
  return cfg.model.vq_model.quantize_mode === "vq" && stage !== "stage2";
}

/**
 * Upstream's perceptual loss per stage (architectures.md §1.6): stage 2 —
 * 0.1·ConvNeXt-S logits MSE; single-stage — 1.1·(1.0·LPIPS + 0.1·ConvNeXt)/1.1;
 * stage 1 has none (it trains on proxy codes).
 */
export function titokPerceptual(stage: TitokStage): PerceptualSettings | undefined {
  if (stage === "stage1") return undefined;
  return stage === "stage2"
    ? { spec: "convnext_s", weight: 0.1 }
    : { spec: "lpips-convnext_s-1.0-0.1", weight: 1.1 };
}

/**
 * Upstream's GAN settings (architectures.md §1.6): stage 2 — weight 0.01 from
 * step 20k; single-stage — weight 0.1 from step 200k; factor 1, LeCam 0.001,
 * discriminator lr 1e-4. Stage 1 has no discriminator.
 */
export function titokGan(stage: TitokStage): GanSettings | undefined {
  if (stage === "stage1") return undefined;
  const common = { factor: 1, lecamWeight: 0.001, lr: 1e-4 };
  return stage === "stage2"
    ? { ...common, start: 20_000, weight: 0.01 }
    : { ...common, start: 200_000, weight: 0.1 };
}

/** The stage-1 teacher: the frozen MaskGIT-VQGAN whose codes are the proxy targets (shared with MARVEL). */
export const titokTeacher: HelperNetwork<TiTokConfig> = {
  ...MASKGIT_TEACHER,
  stages: [...MASKGIT_TEACHER.stages],
};
