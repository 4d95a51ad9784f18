/**
 * BDD-1D's training (architectures.md §5.2; upstream
 * `VQModel2WithEntropyDINOLossMAEinit.training_step` with
 * `VQLPIPSWithDiscriminatorEntropyDINOLoss`), as the loss of the shared train
 * step. On images x in [−1, 1] and the reconstruction x̂:
 *
 *   l1_w·mean|x − x̂| + l2_w·mean((x − x̂)²) + p_w·LPIPS(x, x̂)        (= nll)
 *   + codebook_w·(mean((sg(z_q) − z)²) + β·mean((z_q − sg(z))²))        (taming legacy VQ)
 *   + w_ent(step)·(mean H(p) − γ·H(mean p)), p = softmax(−100·distance)  (entropy regulariser)
 *   + dino_w·mean(1 − cos(DINO(x̂), DINO(x)))                           (stage `ae_dino` only)
 *   + disc_w·adaptive(nll, g)·(−mean D(x̂)) from disc_start               (the GAN run; train_gan.ts)
 *
 * with the weights of the config's `loss_config` (train_config.ts; the shipped
 * configs/vqgan_baseline.yaml's where absent). `w_ent` follows upstream's
 * `VQEntropyLossScheduler`, fed per step as the `entropy_weight` input. The
 * codebook is renormalised in the forward only, its gradient reaching the
 * stored rows (upstream renormalises `.data` in place at every forward).
 *
 * Stages: `ae` is upstream's shipped recipe, whose DINO term is configured
 * but never computed (`dino_loss=None`); `ae_dino` adds it (dino.ts; the
 * `dino` helper). Every parameter of the model trains, including the
 * 768→16 projection `ln`, which upstream leaves out of its optimiser;
 * `--upstream-bugs` (option `upstreamBugs`) keeps it frozen as upstream.
 *
 * @example
 * ```ts
 * const cfg = bdd1d.schema.parse(bdd1d.presets["tiny"]);
 * const step = buildTrainStep("bdd", bddLoss(cfg, { stage: "ae", batch: 2 }), bddTrainable(cfg, {}), bddAdam(cfg));
 * ```
 * @module
 */
import type { AdamWOptions } from "../../core/autodiff/optimizer.ts";
import type { Feed, FeedContext, LossBuilder } from "../../core/autodiff/train_step.ts";
import type { Graph, Value } from "../../core/graph/graph.ts";
import { adaptiveGanWeight } from "../../core/losses/adaptive_weight.ts";
import { abs, add, f32, mul, reduceMean, reshape, sub, transpose } from "../../core/ops/mod.ts";
import type { PerceptualSettings, TrainLossOptions } from "../../core/plugin.ts";
import { vqQuantize } from "../../core/quantizers/mod.ts";
import type { Tensor } from "../../core/tensor.ts";
import { UsageError } from "../../core/errors.ts";
import type { BddConfig } from "./config.ts";
import { dinoArch, dinoFeatureLoss } from "./dino.ts";
import { bddDecoder, bddEncoder, dims, vqOptions } from "./model.ts";
import { bddEntropySchedule, bddLossSettings, entropyWeightAt, globalStep } from "./train_config.ts";

/** BDD-1D's training stages: upstream's (`ae`) and with the DINO feature loss (`ae_dino`). */
export const BDD_STAGES = ["ae", "ae_dino"] as const;

/** The layer upstream's adaptive GAN weight differentiates against (`get_last_layer`). */
export const LAST_LAYER = "decoder.conv_out.weight";

/** Upstream's entropy temperature (`entropy_loss(d, inv_temperature=100.)`). */
const INV_TEMPERATURE = 100;

const scalar = (g: Graph, v: number) => g.constant(f32([], [v]), "w");
const meanAll = (g: Graph, v: Value) => reduceMean(g, v, v.shape.map((_, i) => i), false);
const weighted = (g: Graph, v: Value, w: number) => w === 1 ? v : mul(g, v, scalar(g, w));

/** The quantiser's `diversity_gamma` (γ, default 1); `frac_per_sample_entropy` < 1 (random subsets) is refused. */
function entropyGamma(c: BddConfig): number {
  const q = c.model.params.quantizer_config.params as Record<string, unknown>;
  const frac = q.frac_per_sample_entropy ?? 1;
  if (frac !== 1) {
    throw new UsageError(
      `config: model.params.quantizer_config.params.frac_per_sample_entropy: only 1 (every token) trains here, got ${frac}`,
    );
  }
  const gamma = q.diversity_gamma ?? 1;
  if (typeof gamma !== "number" || !Number.isFinite(gamma)) {
    throw new UsageError(`config: model.params.quantizer_config.params.diversity_gamma: expected a number`);
  }
  return gamma;
}

/** The entropy weight of a step (upstream's scheduler at Lightning's global step 2·s), as the (1) `entropy_weight` input. */
export function entropyWeightFeed(c: BddConfig): Feed {
  const s = bddEntropySchedule(c);
  return {
    kind: "custom",
    generate: (ctx: FeedContext): Tensor => ({
      dtype: "float32",
      shape: [1],
      data: Float32Array.of(entropyWeightAt(s, globalStep(ctx.step))),
    }),
  };
}

/** The loss builder of stage `o.stage`. */
export function bddLoss(c: BddConfig, o: TrainLossOptions): LossBuilder {
  if (!(BDD_STAGES as readonly string[]).includes(o.stage)) {
    throw new UsageError(`--stage ${o.stage}: BDD-1D stages are ${BDD_STAGES.join(", ")}`);
  }
  const d = dims(c);
  const w = bddLossSettings(c);
  const gamma = entropyGamma(c);
  const dino = o.stage === "ae_dino" ? dinoArch(c) : undefined;
  return (g) => {
    const image = g.input("image", "float32", [o.batch, 3, d.image, d.image]);
    const entropyWeight = reshape(g, g.input("entropy_weight", "float32", [1]), []);
    const x = sub(g, mul(g, image, scalar(g, 2)), scalar(g, 1));
    const h = bddEncoder(g, image, c);
    const vq = {
      ...vqOptions(c),
      renormalise: d.codebookNormalise,
      entropy: { inverseTemperature: INV_TEMPERATURE, gamma },
    };
    const q = g.scope("quantize", () => vqQuantize(g, h, vq));
    const rec = bddDecoder(g, transpose(g, q.quantized, [0, 3, 1, 2]), c);
    const rec01 = add(g, mul(g, rec, scalar(g, 0.5)), scalar(g, 0.5));
    const diff = sub(g, x, rec);
    const terms: Record<string, Value> = { l1: meanAll(g, abs(g, diff)) };
    let nll = weighted(g, terms.l1, w.l1_loss_weight);
    if (w.l2_loss_weight > 0) {
      terms.l2 = meanAll(g, mul(g, diff, diff));
      nll = add(g, nll, weighted(g, terms.l2, w.l2_loss_weight));
    }
    if (o.perceptual) {
      terms.perceptual = o.perceptual.build(g, image, rec01);
      nll = add(g, nll, weighted(g, terms.perceptual, o.perceptual.weight));
    }
    terms.quantizer = q.losses.quantizer_loss;
    terms.entropy = q.losses.entropy_aux;
    terms.entropy_weight = entropyWeight;
    let total = add(g, nll, weighted(g, terms.quantizer, w.codebook_weight));
    total = add(g, total, mul(g, terms.entropy, entropyWeight));
    if (dino) {
      terms.dino = dinoFeatureLoss(g, x, rec, dino);
      total = add(g, total, weighted(g, terms.dino, w.dino_loss_weight));
    }
    if (o.adversarial) {
      terms.gan = o.adversarial.build(g, image, rec01);
      const adaptive = w.adaptive_disc_weight
        ? adaptiveGanWeight(g, nll, terms.gan, LAST_LAYER)
        : scalar(g, 1);
      terms.gan_weight = mul(g, adaptive, o.adversarial.scale?.(g) ?? scalar(g, o.adversarial.weight));
      total = add(g, total, mul(g, terms.gan, terms.gan_weight));
    }
    const feeds: Record<string, Feed> = { image: { kind: "images" }, entropy_weight: entropyWeightFeed(c) };
    // The reconstruction also feeds the discriminator (from a forward-only graph when it steps first);
    // the batch's ids (B,1,K) let the trainer warn when they collapse (core/train/collapse.ts).
    return { terms, total, feeds, outputs: { reconstruction: rec01, tokens: q.indices } };
  };
}

/** Every parameter trains; with `upstreamBugs` the projection `ln.*` stays frozen (upstream's optimiser misses it). */
export function bddTrainable(
  _c: BddConfig,
  o: { params?: Record<string, unknown> },
): (name: string) => boolean {
  const frozenProjection = !!o.params?.upstreamBugs;
  return (name) => !(frozenProjection && name.startsWith("ln."));
}

/** Upstream's Adam (betas from `loss_config`: 0.5, 0.9), no weight decay, no clipping. */
export function bddAdam(c: BddConfig): AdamWOptions {
  const w = bddLossSettings(c);
  return { beta1: w.beta_1, beta2: w.beta_2, eps: 1e-8, weightDecay: 0, clipNorm: 0 };
}

/** Upstream's LPIPS (taming's VGG LPIPS) at `perceptual_weight`, where that weight is positive. */
export function bddPerceptual(c: BddConfig): PerceptualSettings | undefined {
  const weight = bddLossSettings(c).perceptual_weight;
  return weight > 0 ? { spec: "lpips", weight } : undefined;
}
