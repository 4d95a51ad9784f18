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
 * - `stage1` over the KL VAE: the decoder regresses the VAE latent (a fresh
 *   posterior sample, the `noise` input) — λ_i·MSE + the quantiser's loss at
 *   every iteration, no halting (upstream's VAE rule never fires).
 *
 * - `stage2` (full fine-tuning with GAN): one graph per rollout iteration,
 *   plugins/alit/train_stage2.ts.
 *
 * The base tokenizer (`base_tokenizer.*`) is frozen in stage 1; stage 2 trains
 * its encoder and decoder. Every stage outputs the last iteration's ids as
 * `tokens` (the trainer's collapse monitor reads them) and, with tok1d's
 * `vq_entropy_loss_weight` (configs/alit/small_recipe.yaml), adds that weight × the
 * latent VQ's entropy regulariser to each iteration's quantiser loss.
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
import type { TrainLossOptions } from "../../core/plugin.ts";
import { UsageError } from "../../core/errors.ts";
import type { Graph, Value } from "../../core/graph/graph.ts";
import { Rng } from "../../core/init.ts";
import {
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
import { type AlitConfig, alitDims, alitEntropyWeight } from "./config.ts";
import { alitStage2 } from "./train_stage2.ts";
import {
  alitInitialSequence,
  alitNextSequence,
  type AlitStep,
  alitStep,
  baseCodebook,
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

/** Seeded uniform draws in [0, 1) for the halting input, fixed by (seed, step, micro-batch). */
export function haltingDraws(ctx: FeedContext): Tensor {
  const shape = ctx.input.shape as number[];
  const rng = new Rng((ctx.seed * 7919 + ctx.step * 104729 + 0x9e3779b + (ctx.micro ?? 0) * 0x51ed27) >>> 0);
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: "float32", shape, data: Float32Array.from({ length: n }, () => rng.next()) };
}

const HALTING: Feed = { kind: "custom", generate: haltingDraws };

/** An iteration's quantiser loss, plus the weighted entropy regulariser where the config asks for it. */
function withEntropy(g: Graph, s: AlitStep, weight: number): Value {
  const vq = s.q.losses.quantizer_loss;
  return weight > 0 ? add(g, vq, mul(g, s.q.losses.entropy_aux, scalar(g, weight))) : vq;
}

/** Stage 1: the full rollout with upstream's per-iteration distillation losses. */
function stage1(c: AlitConfig, batch: number): LossBuilder {
  const d = alitDims(c);
  const entropyWeight = alitEntropyWeight(c);
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
    // The last iteration's ids (B, L): the trainer watches them for collapse (core/train/collapse.ts).
    let lastIds: Value | undefined;
    for (let i = 0; i < d.iters; i++) {
      const s = alitStep(g, x, c, { straightThrough: true, entropy: entropyWeight > 0 });
      lastIds = s.q.indices;
      const nll = terms[`nll_${i}`] = meanNll(g, s.logits, gt);
      const diff = sub(g, gtCode, s.code);
      const code = meanAll(g, mul(g, diff, diff));
      const vq = withEntropy(g, s, entropyWeight);
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
    return { terms, total: total!, feeds, outputs: { tokens: lastIds! } };
  };
}

/**
 * Stage 1 over the KL VAE (`adaptive_vae.py` `forward`/`forward_loss`): the
 * decoder regresses the VAE latent (a fresh posterior sample × 0.2325, from the
 * `noise` input, as upstream draws one every forward) — at every iteration
 * λ_i·MSE(latent, decoded) + the latent quantiser's loss. No halting: the VAE
 * rule never fires upstream (it assigns into a copy).
 */
function stage1Vae(c: AlitConfig, batch: number): LossBuilder {
  const d = alitDims(c);
  const entropyWeight = alitEntropyWeight(c);
  return (g) => {
    const image = g.input("image", "float32", [batch, 3, d.image, d.image]);
    const noise = g.input("noise", "float32", [batch, d.z, d.grid, d.grid]);
    const first = alitInitialSequence(g, image, c, noise);
    const target = stopGradient(g, first.h);
    let x = first.x;
    const terms: Record<string, Value> = {};
    const sums: Value[][] = [[], []];
    let total: Value | undefined;
    let lastIds: Value | undefined;
    for (let i = 0; i < d.iters; i++) {
      const s = alitStep(g, x, c, { straightThrough: true, entropy: entropyWeight > 0 });
      lastIds = s.q.indices;
      const diff = sub(g, target, s.code);
      const mse = terms[`code_${i}`] = meanAll(g, mul(g, diff, diff));
      const weighted = mul(g, mse, scalar(g, ALIT_LAMBDA[i] ?? 1));
      const vq = withEntropy(g, s, entropyWeight);
      sums[0].push(weighted), sums[1].push(vq);
      const it = add(g, weighted, vq);
      total = total ? add(g, total, it) : it;
      if (i < d.iters - 1) x = alitNextSequence(g, s.x, c, i + 1);
    }
    const sum = (vs: Value[]) => vs.reduce((p, v) => add(g, p, v));
    terms.code = sum(sums[0]);
    terms.quantizer = sum(sums[1]);
    return {
      terms,
      total: total!,
      feeds: { image: IMAGES, noise: { kind: "normal" } },
      outputs: { tokens: lastIds! },
    };
  };
}

/** The loss builder of ALIT stage `o.stage`. */
export function alitLoss(c: AlitConfig, o: TrainLossOptions): LossBuilder {
  if (o.stage === "stage1") {
    if (o.perceptual || o.adversarial) {
      throw new Error("stage1 distils the base tokens: no image loss, so no perceptual or GAN term");
    }
    return alitDims(c).vae ? stage1Vae(c, o.batch) : stage1(c, o.batch);
  }
  if (o.stage === "stage2") return alitStage2(c, o);
  throw new UsageError(`--stage ${o.stage}: ALIT stages are stage1, stage2`);
}

/**
 * Which parameters a stage optimises: stage 1 all but the base tokenizer;
 * stage 2 also the VQGAN's encoder and decoder (upstream builds it with
 * `is_requires_grad: True`), but not its codebook, which upstream reads
 * through `.data` (no gradient, so AdamW skips it).
 */
export function alitTrainable(_c: AlitConfig, o: { stage: string }): (name: string) => boolean {
  // (The VAE has no codebook: stage 2 trains all of it, the posterior's sample included.)
  if (o.stage === "stage2") return (name) => !name.startsWith("base_tokenizer.vqgan.quantize.");
  return (name) => !name.startsWith("base_tokenizer.");
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
