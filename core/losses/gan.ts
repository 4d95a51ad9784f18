/**
 * The adversarial losses of TiTok's stage-2 and single-stage recipes
 * (architectures.md §1.6; upstream `ReconstructionLoss_Stage2`):
 * - generator: −mean D(x̂), weighted by discriminator_weight ·
 *   discriminator_factor from `discriminator_start` on (no adaptive weight);
 * - discriminator: hinge ½(mean relu(1 − D(x)) + mean relu(1 + D(x̂))) plus
 *   LeCam regularisation relu(mean D(x) − ema_fake)² + relu(ema_real −
 *   mean D(x̂))², whose EMAs (decay 0.999, zero at the start) are graph
 *   state: inputs `ema_real_logits_mean`/`ema_fake_logits_mean` (upstream's
 *   buffer names, shape [1]) and outputs `new.<name>` after the step.
 *
 * {@link discriminatorLoss} is the loss builder of the discriminator's own
 * train step: inputs `image` and `reconstruction` (the generator step's
 * output, a constant here, as upstream detaches it).
 *
 * @example
 * ```ts
 * const step = buildTrainStep("d", discriminatorLoss({ batch: 2, imageSize: 64 }), () => true, GAN_ADAMW, { ema: false });
 * ```
 * @module
 */
import type { LossBuilder } from "../autodiff/train_step.ts";
import type { ImageLossTerm } from "../plugin.ts";
import type { Graph, ParamSpec, Value } from "../graph/graph.ts";
import type { AdamWOptions } from "../autodiff/optimizer.ts";
import type { Buffers } from "../nn/batch_norm.ts";
import type { Tensor } from "../tensor.ts";
import { abs, add, exp, f32, log, mul, neg, reduceMean, relu, sub } from "../ops/mod.ts";
import { discriminator, type DiscriminatorOptions, NLAYER_DEFAULTS } from "../nn/discriminator.ts";

/** Upstream's names of the LeCam EMA buffers: the discriminator step's carried state. */
export const LECAM_STATE = ["ema_real_logits_mean", "ema_fake_logits_mean"] as const;

const meanAll = (g: Graph, v: Value) => reduceMean(g, v, v.shape.map((_, i) => i), false);
const c = (g: Graph, v: number) => g.constant(f32([], [v]), "gan_c");

/** Hinge loss of the discriminator: ½(mean relu(1 − real) + mean relu(1 + fake)). */
export function hingeDiscriminatorLoss(g: Graph, real: Value, fake: Value): Value {
  const r = meanAll(g, relu(g, sub(g, c(g, 1), real)));
  const f = meanAll(g, relu(g, add(g, c(g, 1), fake)));
  return mul(g, add(g, r, f), c(g, 0.5));
}

/** taming's `vanilla_d_loss`: ½(mean softplus(−real) + mean softplus(fake)), softplus(x) = relu(x) + log(1 + e^−|x|). */
export function vanillaDiscriminatorLoss(g: Graph, real: Value, fake: Value): Value {
  const softplus = (x: Value) => add(g, relu(g, x), log(g, add(g, c(g, 1), exp(g, neg(g, abs(g, x))))));
  const r = meanAll(g, softplus(neg(g, real)));
  const f = meanAll(g, softplus(fake));
  return mul(g, add(g, r, f), c(g, 0.5));
}

/** LeCam regularisation of mean logits against the EMAs of the other side: relu(r − ema_f)² + relu(ema_r − f)². */
export function lecamLoss(g: Graph, realMean: Value, fakeMean: Value, emaReal: Value, emaFake: Value): Value {
  const a = relu(g, sub(g, realMean, emaFake));
  const b = relu(g, sub(g, emaReal, fakeMean));
  return meanAll(g, add(g, mul(g, a, a), mul(g, b, b)));
}

/** The generator's adversarial term, −mean D(x̂) (unweighted). */
export function generatorAdversarialLoss(g: Graph, fakeLogits: Value): Value {
  return neg(g, meanAll(g, fakeLogits));
}

/** Settings of the discriminator step. */
export interface DiscriminatorLossOptions {
  batch: number;
  imageSize: number;
  /** LeCam weight (upstream 0.001; 0 switches it off). */
  lecamWeight?: number;
  /** EMA decay of the mean logits (upstream 0.999). */
  lecamDecay?: number;
  /** Upstream's discriminator_factor (1.0): scales the hinge term. */
  factor?: number;
  /** Network size (upstream's NLayerDiscriminator() by default). */
  network?: DiscriminatorOptions;
}

/**
 * The discriminator step's loss: terms `hinge`, `lecam` (unweighted),
 * `logits_real`, `logits_fake` (mean logits); total factor·hinge +
 * lecamWeight·lecam; state: the two LeCam EMAs.
 */
export function discriminatorLoss(o: DiscriminatorLossOptions): LossBuilder {
  const lecamWeight = o.lecamWeight ?? 0.001;
  const decay = o.lecamDecay ?? 0.999;
  return (g) => {
    const shape = [o.batch, 3, o.imageSize, o.imageSize];
    const image = g.input("image", "float32", shape);
    const reconstruction = g.input("reconstruction", "float32", shape);
    const [emaReal, emaFake] = LECAM_STATE.map((n) => g.input(n, "float32", [1]));
    const real = discriminator(g, image, o.network ?? NLAYER_DEFAULTS);
    const fake = discriminator(g, reconstruction, o.network ?? NLAYER_DEFAULTS);
    const realMean = meanAll(g, real);
    const fakeMean = meanAll(g, fake);
    const hinge = hingeDiscriminatorLoss(g, real, fake);
    const lecam = lecamLoss(g, realMean, fakeMean, emaReal, emaFake);
    let total = mul(g, hinge, c(g, o.factor ?? 1));
    if (lecamWeight > 0) total = add(g, total, mul(g, lecam, c(g, lecamWeight)));
    const ema = (old: Value, mean: Value) => add(g, mul(g, old, c(g, decay)), mul(g, mean, c(g, 1 - decay)));
    return {
      terms: { hinge, lecam, logits_real: realMean, logits_fake: fakeMean },
      total,
      state: { [LECAM_STATE[0]]: ema(emaReal, realMean), [LECAM_STATE[1]]: ema(emaFake, fakeMean) },
    };
  };
}

/** The GAN settings of a stage (upstream `losses.*` and `optimizer.params.discriminator_learning_rate`). */
export interface GanSettings {
  /** First 0-based step with the discriminator (`discriminator_start`). */
  start: number;
  /** `discriminator_weight`; the generator's term is weighted by weight·factor. */
  weight: number;
  /** `discriminator_factor` (1.0 in every released recipe). */
  factor: number;
  /** `lecam_regularization_weight`. */
  lecamWeight: number;
  /** `discriminator_learning_rate`. */
  lr: number;
  /** The discriminator's rate is the generator's at every step (ALIT: one `lr_sched` for both); `lr` then unused. */
  sameLr?: boolean;
  /** Later adversarial weights: from step `from` on, `weight` (ALIT: 0.8 from epoch 101). */
  weights?: { from: number; weight: number }[];
  /**
   * Alternation in the adversarial phase: each cycle of `period` steps updates the discriminator on
   * the first period − 1 and the generator on the last (ALIT: 9). Absent: both every step.
   */
  period?: number;
  /** Steps per epoch where upstream's step counters restart each epoch (core/train/gan_plan.ts). */
  epochSteps?: number;
  /** The discriminator's optimiser where it differs from the generator's (ALIT: torch's AdamW decay 0.01 on all). */
  adamw?: AdamWOptions;
  /** The family's discriminator network(s); absent: TiTok's NLayerDiscriminator (core/nn/discriminator.ts). */
  network?: GanNetwork;
  /**
   * Within a step, which network updates first (default `generator-first`). taming's VQGAN
   * training steps computes the discriminator loss on the step's reconstruction and steps the
   * discriminator, then the generator's adversarial term sees the updated discriminator
   * (`discriminator-first`; the reconstruction comes from a forward-only graph).
   */
  order?: "generator-first" | "discriminator-first";
  /**
   * The discriminator's optimiser has stepped at every step before `start` (with zero gradients, as
   * upstream's does when it steps both optimisers from the first batch): its bias corrections count
   * from step 0, not from `start`.
   */
  discriminatorStepsFromZero?: boolean;
  /** The discriminator's loss on its logits (default hinge; `vanilla`: ½(mean softplus(−D(x)) + mean softplus(D(x̂)))). */
  loss?: "hinge" | "vanilla";
}

/**
 * A family's discriminator network(s): one shared, or one per step variant
 * (ALIT: one per rollout iteration). Its running buffers (BatchNorm
 * statistics) are graph state moved through `buffers`.
 */
export interface GanNetwork {
  /** What it is (run metadata). */
  name: string;
  /** One discriminator per step variant, or one shared (false). */
  perVariant: boolean;
  /** Logits of discriminator `index` on `image`, with parameters and buffers under {@link GanNetwork.prefix}. */
  logits(g: Graph, image: Value, index: number, buffers: Buffers): Value;
  /** Parameter and buffer prefix of discriminator `index` (e.g. `gan_losses.3.discriminator.`). */
  prefix(index: number): string;
  /** Initial parameters (seeded) and buffers of the given specs. */
  init(params: ParamSpec[], buffers: Value[], seed: number): Map<string, Tensor>;
  /**
   * Tensors under its prefix in a `--weights` file (an upstream training checkpoint's
   * discriminator, named as upstream names it) start the discriminator instead of `init`.
   */
  fromWeights?: boolean;
}

/** The generator's adversarial term against `network`: weight·factor · (−mean D(x̂)). */
export function adversarialTerm(
  s: GanSettings,
  network: DiscriminatorOptions = NLAYER_DEFAULTS,
): ImageLossTerm {
  return {
    weight: s.weight * s.factor,
    build: (g, _real, fake) => generatorAdversarialLoss(g, discriminator(g, fake, network)),
  };
}
