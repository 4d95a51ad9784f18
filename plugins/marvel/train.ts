/**
 * MARVEL's training losses (architectures.md §4.5; MDQ's `train_titok.py`
 * with `finetune_titok_l32.yaml`), as loss builders for the train-step graph:
 * - `stage1`: proxy codes — cross-entropy of the decoder's 1024-way logits
 *   against the codes a frozen MaskGIT-VQGAN (`teacher.*`) assigns, plus
 *   quantizer_weight·(entropy + commitment) of the multi-depth LFQ. The
 *   decoder is the logit head only (MDQ's stage 1 runs `finetune_decoder:
 *   false`), so a TiTok-L-32 checkpoint loads into every stage-1 parameter
 *   and its `quantize.embedding.weight` and `pixel_*` tensors are skipped —
 *   what MDQ's `finetune_multi_depth` zero-then-`strict=False` load amounts to.
 * - `stage2`: decoder fine-tune — pixel MSE through the softmax-weighted
 *   `pixel_quantize` codebook and the MaskGIT-VQGAN `pixel_decoder`; the
 *   encoder, latent tokens and quantizer are frozen and their losses dropped
 *   (MDQ zeroes them and runs the LFQ in eval mode, so no entropy either).
 *   The trainer's perceptual and adversarial terms ({@link ImageLossTerm})
 *   join the MSE in {@link reconstructionTerms}; with the GAN term the graph
 *   also outputs `reconstruction` for the discriminator step. MDQ's stage 2:
 *   L2 1.0 + ConvNeXt-S 0.1 + 0.01·GAN from step 20k, LeCam 0.001.
 *
 * - `single` (tok1d, not MDQ's recipe): a direct-pixel config (`is_legacy:
 *   false`, TiTok's single-stage layout) trained from scratch on photos with no
 *   teacher — pixel MSE + quantizer_weight·(entropy + commitment) of the
 *   multi-depth LFQ; the entropy term keeps the codes spread (configs/marvel/small.yaml).
 *
 * In every stage the decoder reads the sum of all D depths (straight-through),
 * as MDQ's forward does; no depth is dropped in training.
 *
 * @example
 * ```ts
 * const cfg = marvel.schema.parse(marvel.presets["tiny_f16"]);
 * const step = buildTrainStep("s1", marvelLoss(cfg, { stage: "stage1", batch: 4 }),
 *   marvelTrainable(cfg, { stage: "stage1", batch: 4 }), marvelAdamW("stage1"));
 * ```
 * @module
 */
import type { LossBuilder, LossParts } from "../../core/autodiff/train_step.ts";
import type { AdamWOptions } from "../../core/autodiff/optimizer.ts";
import { parseConfig } from "../../core/config.ts";
import type { Graph, Value } from "../../core/graph/graph.ts";
import type { GanSettings } from "../../core/losses/gan.ts";
import {
  checkProxyCodeConfig,
  MASKGIT_TEACHER,
  PROXY_CODE_STRIDE,
  proxyCodeCrossEntropy,
} from "../../core/losses/proxy_codes.ts";
import type { HelperNetwork, ImageLossTerm, PerceptualSettings } from "../../core/plugin.ts";
import { add, f32, mul, reduceMean, sub, transpose } from "../../core/ops/mod.ts";
import { UsageError } from "../../core/errors.ts";
import { type MarvelConfig, marvelSchema } from "./config.ts";
import { dims, marvelDecoder, marvelEncoder, marvelQuantize } from "./model.ts";

/** Training stages MARVEL supports. */
export type MarvelStage = "stage1" | "stage2" | "single";

/** Loss options and the fixed batch size of the step graph. */
export interface MarvelLossOptions {
  stage: MarvelStage;
  batch: number;
  /** Weight of entropy + commitment in stage 1 (MDQ: `losses.quantizer_weight` 1.0). */
  quantizerWeight?: number;
  /** The generator's GAN term (stage 2). */
  adversarial?: ImageLossTerm;
  /** A perceptual term (stage 2). */
  perceptual?: ImageLossTerm;
}

/** The stride of the released MaskGIT-VQGAN teacher: its code grid is crop/16. */
const TEACHER_STRIDE = PROXY_CODE_STRIDE;

const IMAGES = { kind: "images" } as const;
const scalar = (g: Graph, v: number) => g.constant(f32([], [v]), "w");
const meanAll = (g: Graph, v: Value) => reduceMean(g, v, v.shape.map((_, i) => i), false);

/** `cfg` with `finetune_decoder` set (stage 1: logit head only; stage 2: the pixel decoder), re-validated. */
function forStage(cfg: MarvelConfig, finetuneDecoder: boolean): MarvelConfig {
  const m = cfg.model.vq_model;
  if (m.finetune_decoder === finetuneDecoder) return cfg;
  const raw = { ...cfg, model: { ...cfg.model, vq_model: { ...m, finetune_decoder: finetuneDecoder } } };
  return parseConfig(marvelSchema, raw, `config (finetune_decoder: ${finetuneDecoder} for training)`);
}

function checkStage1(cfg: MarvelConfig): void {
  checkProxyCodeConfig(cfg.model.vq_model, cfg.dataset.preprocessing.crop_size);
}

/**
 * Stage-2 terms and their weighted sum: pixel MSE (mean over every element)
 * + weight·perceptual + weight·GAN, each logged under its own name.
 */
export function reconstructionTerms(
  g: Graph,
  image: Value,
  reconstruction: Value,
  o: Pick<MarvelLossOptions, "adversarial" | "perceptual"> = {},
): LossParts {
  const d = sub(g, reconstruction, image);
  const terms: Record<string, Value> = { mse: meanAll(g, mul(g, d, d)) };
  let total = terms.mse;
  const extra = { perceptual: o.perceptual, gan: o.adversarial };
  for (const [name, term] of Object.entries(extra)) {
    if (!term) continue;
    terms[name] = term.build(g, image, reconstruction);
    total = add(g, total, mul(g, terms[name], scalar(g, term.weight)));
  }
  return { terms, total, outputs: o.adversarial ? { reconstruction } : {}, feeds: { image: IMAGES } };
}

/** The loss builder of MARVEL stage `o.stage`. */
export function marvelLoss(cfg: MarvelConfig, o: MarvelLossOptions): LossBuilder {
  if (o.stage === "single") return marvelSingleLoss(cfg, o);
  const stage1 = o.stage === "stage1";
  if (stage1) checkStage1(cfg);
  if (stage1 && (o.perceptual || o.adversarial)) {
    throw new Error("stage1 trains on proxy codes: no image, so no perceptual or GAN term");
  }
  const model = forStage(cfg, !stage1);
  const d = dims(model);
  const qw = o.quantizerWeight ?? 1;
  return (g) => {
    const image = g.input("image", "float32", [o.batch, 3, d.image, d.image]);
    // Stage 1 trains the quantizer's losses, so it builds the entropy terms (MDQ: LFQ in train mode).
    const q = marvelQuantize(g, marvelEncoder(g, image, model), model, stage1);
    const out = marvelDecoder(g, transpose(g, q.quantized, [0, 3, 1, 2]), model);
    if (!stage1) return reconstructionTerms(g, image, out.image, o);
    const { entropy_loss, commitment_loss, per_sample_entropy, avg_entropy } = q.losses;
    const ce = proxyCodeCrossEntropy(g, image, out.logits!, d.image / TEACHER_STRIDE);
    const quantizer = add(g, entropy_loss, commitment_loss);
    return {
      terms: { ce, entropy: entropy_loss, commitment: commitment_loss, per_sample_entropy, avg_entropy },
      total: add(g, ce, mul(g, quantizer, scalar(g, qw))),
      feeds: { image: IMAGES },
    };
  };
}

/** `single`: pixel MSE + quantizer_weight·(entropy + commitment) through a direct pixel head. */
function marvelSingleLoss(cfg: MarvelConfig, o: MarvelLossOptions): LossBuilder {
  const m = cfg.model.vq_model;
  if (m.is_legacy || m.finetune_decoder) {
    throw new UsageError(
      `model.vq_model.${m.is_legacy ? "is_legacy" : "finetune_decoder"}: stage single trains the direct ` +
        `pixel head (is_legacy: false, finetune_decoder: false), as configs/marvel/small.yaml`,
    );
  }
  if (o.perceptual || o.adversarial) throw new Error("MARVEL's single stage has no perceptual or GAN term");
  const d = dims(cfg);
  const qw = o.quantizerWeight ?? 1;
  return (g) => {
    const image = g.input("image", "float32", [o.batch, 3, d.image, d.image]);
    const q = marvelQuantize(g, marvelEncoder(g, image, cfg), cfg, true);
    const out = marvelDecoder(g, transpose(g, q.quantized, [0, 3, 1, 2]), cfg);
    const parts = reconstructionTerms(g, image, out.image);
    const { entropy_loss, commitment_loss } = q.losses;
    return {
      ...parts,
      terms: { ...parts.terms, entropy: entropy_loss, commitment: commitment_loss },
      total: add(g, parts.total, mul(g, add(g, entropy_loss, commitment_loss), scalar(g, qw))),
      // The batch's ids (B,1,K,D), for the trainer's collapse warnings.
      outputs: { tokens: q.indices },
    };
  };
}

/** Which parameters a stage optimises: stage 2 the decoders only; stage 1 all but the teacher. */
export function marvelTrainable(_cfg: MarvelConfig, o: MarvelLossOptions): (name: string) => boolean {
  if (o.stage === "stage2") return (name) => /^(decoder|pixel_quantize|pixel_decoder)\./.test(name);
  return (name) => !name.startsWith("teacher.");
}

/** MDQ's stage-1 AdamW (TiTok's recipe): β (0.9, 0.99), eps 1e-8, weight decay 1e-4, clipping at norm 1. */
const STAGE1_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 1e-4, clipNorm: 1 };

/** MDQ's optimizer per stage: AdamW betas (0.9, 0.99) in stage 1, (0.9, 0.999) in stage 2. */
export function marvelAdamW(stage: MarvelStage): AdamWOptions {
  return stage === "stage1" ? STAGE1_ADAMW : { ...STAGE1_ADAMW, beta2: 0.999 };
}

/** MDQ's stage-2 perceptual loss, as TiTok's stage 2: 0.1·ConvNeXt-S logits MSE; stage 1 has none. */
export function marvelPerceptual(stage: MarvelStage): PerceptualSettings | undefined {
  return stage === "stage2" ? { spec: "convnext_s", weight: 0.1 } : undefined;
}

/**
 * MDQ's stage-2 GAN settings (`stage2/finetune_titok_l32.yaml`): weight 0.01
 * from step 20k, factor 1, LeCam 0.001, discriminator lr 1e-4. Stage 1 has no
 * discriminator.
 */
export function marvelGan(stage: MarvelStage): GanSettings | undefined {
  return stage === "stage2"
    ? { start: 20_000, weight: 0.01, factor: 1, lecamWeight: 0.001, lr: 1e-4 }
    : undefined;
}

/** The stage-1 teacher: the frozen MaskGIT-VQGAN whose codes are the proxy targets (shared with TiTok). */
export const marvelTeacher: HelperNetwork<MarvelConfig> = {
  ...MASKGIT_TEACHER,
  stages: [...MASKGIT_TEACHER.stages],
};
