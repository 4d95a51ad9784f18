/**
 * ALIT's training (architectures.md §2.6; upstream `engines/latent_distillation_pretrain.py`,
 * `AdaptiveLengthImageTokenizer.forward`/`forward_loss` in train mode), as loss
 * builders for the train-step graph. The iteration body is model.ts's
 * ({@link alitStep}), the one the inference graphs run.
 *
 * - `stage1` (latent distillation): the whole rollout of max_rollout_iters
 *   iterations in one graph; at every iteration i the decoder's base-code
 *   logits are trained against the frozen VQGAN's code ids —
 *   λ_i·NLL_i (λ = [2.5, 2.0, 1.5, 1.25, 1, 1, 1, 1]) + the MSE between the
 *   expected code (softmax · codebook) and the true code's vector + the latent
 *   quantiser's loss (β·commitment + codebook, on L2-normalised vectors).
 *   Upstream builds a `LabelSmoothingCrossEntropy(0.1)` but `forward_loss`
 *   keeps only its first output, the plain NLL: no smoothing reaches the
 *   loss, and none is applied here. Halting between iterations is sampled as
 *   upstream does in training (Bernoulli(p) where p ≥ the threshold): the
 *   uniform draws are the `halting_u` input (B, I−1, N), a custom feed seeded
 *   by (seed, step); the drop mask carries no gradient (torch.bernoulli has none).
 *
 * The base tokenizer (`base_tokenizer.*`) is frozen in every stage.
 *
 * @example
 * ```ts
 * const cfg = alit.schema.parse(alit.presets["test_vqgan"]);
 * const step = buildTrainStep("s1", alitLoss(cfg, { stage: "stage1", batch: 2 }),
 *   alitTrainable(cfg, { stage: "stage1" }), alitAdamW("stage1"));
 * ```
 * @module
 */
import type { AdamWOptions } from "../../core/autodiff/optimizer.ts";
import type { Feed, FeedContext, LossBuilder } from "../../core/autodiff/train_step.ts";
import { adaptiveGanWeight } from "../../core/losses/adaptive_weight.ts";
import type { GanSettings } from "../../core/losses/gan.ts";
import type { PerceptualSettings, TrainLossOptions } from "../../core/plugin.ts";
import { UsageError } from "../../core/errors.ts";
import type { Graph, Value } from "../../core/graph/graph.ts";
import { Rng } from "../../core/init.ts";
import {
  abs,
  add,
  argmin,
  cast,
  exp,
  f32,
  gather,
  greater,
  log,
  mul,
  neg,
  oneHot,
  reduceMean,
  reduceSum,
  reshape,
  slice,
  stopGradient,
  sub,
  unsqueeze,
} from "../../core/ops/mod.ts";
import type { Tensor } from "../../core/tensor.ts";
import { type AlitConfig, alitDims } from "./config.ts";
import {
  alitInitialSequence,
  alitNextSequence,
  alitStep,
  baseCodebook,
  basePixels,
  codeGrid,
  gtProbability,
} from "./model.ts";

/** Training stages ALIT supports. */
export type AlitStage = "stage1" | "stage2";

/** Upstream's per-iteration NLL weights (`lambda_loss_weight`); iterations past 8 weigh 1. */
export const ALIT_LAMBDA = [2.5, 2.0, 1.5, 1.25, 1.0, 1.0, 1.0, 1.0];

const IMAGES = { kind: "images" } as const;
const scalar = (g: Graph, v: number) => g.constant(f32([], [v]), "w");
const meanAll = (g: Graph, v: Value) => reduceMean(g, v, v.shape.map((_, i) => i), false);

/** Mean NLL of logits (B,N,K) against ids (B,N), as a stable log-softmax (the row max shifted out). */
export function meanNll(g: Graph, logits: Value, ids: Value): Value {
  const k = logits.shape[logits.shape.length - 1] as number;
  const top = oneHot(g, argmin(g, neg(g, logits), -1), k);
  const shifted = sub(g, logits, stopGradient(g, reduceSum(g, mul(g, logits, top), [-1], true)));
  const lse = log(g, reduceSum(g, exp(g, shifted), [-1], false));
  const picked = reduceSum(g, mul(g, shifted, oneHot(g, ids, k)), [-1], false);
  return meanAll(g, sub(g, lse, picked));
}

/** Upstream's training-time halting mask (B,N,1): u < p and p ≥ threshold, no gradient through p. */
function haltingDrop(g: Graph, p: Value, u: Value, threshold: number): Value {
  const q = stopGradient(g, p);
  const below = cast(g, greater(g, scalar(g, threshold), q), "float32");
  const hit = cast(g, greater(g, q, u), "float32");
  return unsqueeze(g, mul(g, hit, sub(g, scalar(g, 1), below)), [2]);
}

/** Seeded uniform draws in [0, 1) for the halting input, fixed by (seed, step). */
export function haltingDraws(ctx: FeedContext): Tensor {
  const shape = ctx.input.shape as number[];
  const rng = new Rng((ctx.seed * 7919 + ctx.step * 104729 + 0x9e3779b) >>> 0);
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: "float32", shape, data: Float32Array.from({ length: n }, () => rng.next()) };
}

const HALTING: Feed = { kind: "custom", generate: haltingDraws };

function checkVqgan(c: AlitConfig): void {
  if (alitDims(c).vae) {
    throw new UsageError(
      "alit.base_tokenizer: vae — training is implemented for the VQGAN base only (its code-id losses)",
    );
  }
}

/** Stage 1: the full rollout with upstream's per-iteration distillation losses. */
function stage1(c: AlitConfig, batch: number): LossBuilder {
  const d = alitDims(c);
  const a = c.alit;
  return (g) => {
    const image = g.input("image", "float32", [batch, 3, d.image, d.image]);
    const halting = a.dynamic_halting && d.iters > 1;
    const u = halting ? g.input("halting_u", "float32", [batch, d.iters - 1, d.n]) : undefined;
    const first = alitInitialSequence(g, image, c);
    const gt = first.gt!;
    const gtCode = codeGrid(g, gather(g, baseCodebook(g, c), gt, 0), c);
    let x = first.x;
    const terms: Record<string, Value> = {};
    const sums: Value[][] = [[], [], []];
    let total: Value | undefined;
    for (let i = 0; i < d.iters; i++) {
      const s = alitStep(g, x, c, { straightThrough: true });
      const nll = terms[`nll_${i}`] = meanNll(g, s.logits, gt);
      const diff = sub(g, gtCode, s.code);
      const code = meanAll(g, mul(g, diff, diff));
      const vq = s.q.losses.quantizer_loss;
      const weighted = mul(g, nll, scalar(g, ALIT_LAMBDA[i] ?? 1));
      sums[0].push(weighted), sums[1].push(code), sums[2].push(vq);
      const it = add(g, add(g, weighted, code), vq);
      total = total ? add(g, total, it) : it;
      if (i < d.iters - 1) {
        const drop = u && haltingDrop(
          g,
          gtProbability(g, s.prob!, gt, c),
          reshape(g, slice(g, u, 1, i, i + 1), [batch, d.n]),
          a.dynamic_halting_threshold,
        );
        x = alitNextSequence(g, s.x, c, i + 1, drop);
      }
    }
    const sum = (vs: Value[]) => vs.reduce((p, v) => add(g, p, v));
    terms.nll = sum(sums[0]);
    terms.code = sum(sums[1]);
    terms.quantizer = sum(sums[2]);
    const feeds: Record<string, Feed> = { image: IMAGES, ...(u ? { halting_u: HALTING } : {}) };
    return { terms, total: total!, feeds };
  };
}

/** The iteration a stage-2 step trains: step mod I, as a one-hot (I) (upstream's `current_repeatition_iter`). */
export function iterationOneHot(ctx: FeedContext): Tensor {
  const n = ctx.input.shape[0] as number;
  const data = new Float32Array(n);
  data[ctx.step % n] = 1;
  return { dtype: "float32", shape: [n], data };
}

/** The layer upstream's adaptive GAN weight differentiates against (`get_last_layer`). */
export const LAST_LAYER = "base_tokenizer.vqgan.decoder.conv_out.weight";

/** taming's adaptive weight at {@link LAST_LAYER} (core/losses/adaptive_weight.ts). */
const adaptiveWeight = (g: Graph, nll: Value, gan: Value) => adaptiveGanWeight(g, nll, gan, LAST_LAYER);

/**
 * Stage 2: the rollout, with the loss of one iteration k per step (the
 * one-hot `iteration` input, k = step mod I): L1 + the perceptual term on
 * its reconstruction (expected code → the VQGAN decoder) + its quantiser
 * loss + the adaptive-weighted adversarial term. No halting: upstream halts
 * only at the loss iteration, after which nothing reaches the loss. Every
 * iteration's decoder runs and the one-hot picks k (I× upstream's decode
 * cost; the values and gradients are upstream's).
 */
function stage2(c: AlitConfig, o: TrainLossOptions): LossBuilder {
  const d = alitDims(c);
  return (g) => {
    const image = g.input("image", "float32", [o.batch, 3, d.image, d.image]);
    const pick = g.input("iteration", "float32", [d.iters]);
    let x = alitInitialSequence(g, image, c).x;
    let rec: Value | undefined, vq: Value | undefined;
    for (let i = 0; i < d.iters; i++) {
      const s = alitStep(g, x, c, { straightThrough: true });
      const w = reshape(g, slice(g, pick, 0, i, i + 1), []);
      const r = mul(g, basePixels(g, s.code, c), w);
      const q = mul(g, s.q.losses.quantizer_loss, w);
      rec = rec ? add(g, rec, r) : r;
      vq = vq ? add(g, vq, q) : q;
      if (i < d.iters - 1) x = alitNextSequence(g, s.x, c, i + 1);
    }
    const terms: Record<string, Value> = { l1: meanAll(g, abs(g, sub(g, image, rec!))), quantizer: vq! };
    let nll = terms.l1;
    if (o.perceptual) {
      terms.perceptual = o.perceptual.build(g, image, rec!);
      nll = add(g, nll, mul(g, terms.perceptual, scalar(g, o.perceptual.weight)));
    }
    let total = add(g, nll, vq!);
    if (o.adversarial) {
      terms.gan = o.adversarial.build(g, image, rec!);
      terms.gan_weight = mul(g, adaptiveWeight(g, nll, terms.gan), scalar(g, o.adversarial.weight));
      total = add(g, total, mul(g, terms.gan, terms.gan_weight));
    }
    const feeds: Record<string, Feed> = {
      image: IMAGES,
      iteration: { kind: "custom", generate: iterationOneHot },
    };
    const outputs: Record<string, Value> = o.adversarial ? { reconstruction: rec! } : {};
    return { terms, total, feeds, outputs };
  };
}

/** The loss builder of ALIT stage `o.stage`. */
export function alitLoss(c: AlitConfig, o: TrainLossOptions): LossBuilder {
  checkVqgan(c);
  if (o.stage === "stage1") {
    if (o.perceptual || o.adversarial) {
      throw new Error("stage1 trains on code ids: no image loss, so no perceptual or GAN term");
    }
    return stage1(c, o.batch);
  }
  if (o.stage === "stage2") return stage2(c, o);
  throw new UsageError(`--stage ${o.stage}: ALIT stages are stage1, stage2`);
}

/**
 * Which parameters a stage optimises: stage 1 all but the base tokenizer;
 * stage 2 also the VQGAN's encoder and decoder (upstream builds it with
 * `is_requires_grad: True`), but not its codebook, which upstream reads
 * through `.data` (no gradient, so AdamW skips it).
 */
export function alitTrainable(_c: AlitConfig, o: { stage: string }): (name: string) => boolean {
  if (o.stage === "stage2") return (name) => !name.startsWith("base_tokenizer.vqgan.quantize.");
  return (name) => !name.startsWith("base_tokenizer.");
}

/**
 * Upstream's stage-2 perceptual term: `VQLPIPSWithDiscriminator`'s LPIPS at
 * weight 1.0 (core's LPIPS maps [0, 1] images to [−1, 1]; upstream feeds its
 * [0, 1] images to taming's LPIPS unmapped).
 */
export function alitPerceptual(stage: string): PerceptualSettings | undefined {
  return stage === "stage2" ? { spec: "lpips", weight: 1 } : undefined;
}

/**
 * Stage 2's GAN (`engines/full_finetuning.py`, `VQLPIPSWithDiscriminator`):
 * hinge loss, no LeCam, discriminator_weight 0.2 times the adaptive weight,
 * from epoch 21 — 27,699 steps at upstream's ImageNet-100 batch of 96 — and
 * the discriminator at the generator's rate (lr = 1e-4·96/256). Upstream's
 * weight rises to 0.8 after epoch 100 and each iteration has its own
 * discriminator trained every 9th step; the shared trainer has one
 * discriminator at a fixed weight, stepped with the generator.
 */
export function alitGan(stage: string): GanSettings | undefined {
  return stage === "stage2"
    ? { start: 27_699, weight: 0.2, factor: 1, lecamWeight: 0, lr: 3.75e-5 }
    : undefined;
}

/**
 * timm's `add_weight_decay` (upstream's `param_groups`): no decay for 1-D
 * parameters and biases; embeddings, mask and latent tokens do decay.
 */
export function timmDecays(name: string, shape: number[]): boolean {
  return shape.length > 1 && !name.endsWith(".bias");
}

/**
 * Upstream's AdamW (`main_pretrain.py`, `run_scripts/latent_distillation_pretrain.sh`):
 * β (0.9, 0.95), torch's eps 1e-8, weight decay 0.05 with timm's no-decay
 * rule, gradient clipping at norm 3. The rate schedule is the run's: upstream
 * uses lr = blr·batch/256 with blr 1.5e-4, a linear warm-up of 20 of 200
 * epochs and a half-cosine to 0.
 */
export function alitAdamW(_stage: string): AdamWOptions {
  return { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.05, clipNorm: 3, decays: timmDecays };
}
