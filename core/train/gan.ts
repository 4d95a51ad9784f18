/**
 * Assembles the GAN part of a run ({@link GanRun}) from a family's loss
 * builder: at the switch, the discriminator step (hinge, LeCam where set,
 * AdamW without weight EMA), its initial weights, and the generator step
 * with the adversarial term, into which the discriminator's weights are fed.
 *
 * The network is TiTok's NLayerDiscriminator unless the stage declares its
 * own ({@link GanNetwork}: ALIT's taming PatchGANs, one per rollout
 * iteration). With step variants, each variant has its own generator graph
 * and — for a per-variant network — its own discriminator. A declared
 * network's BatchNorm statistics are state of both graphs that run it; the
 * generator's adversarial weight is then the input `gan_weight`, so a weight
 * schedule needs no new graphs.
 *
 * @example
 * ```ts
 * const gan = buildGanRun({
 *   name: "titok_single", batch: 2, imageSize: 64, seed: 0, adamw, trainable,
 *   settings: { start: 5, weight: 0.1, factor: 1, lecamWeight: 0.001, lr: 1e-4 },
 *   loss: (adversarial) => titokLoss(cfg, { stage: "single", batch: 2, adversarial }),
 * });
 * ```
 * @module
 */
import type { AdamWOptions } from "../autodiff/optimizer.ts";
import { buildTrainStep, type LossBuilder, type TrainStep } from "../autodiff/train_step.ts";
import type { Graph, Value } from "../graph/graph.ts";
import {
  adversarialTerm,
  discriminatorLoss,
  type GanNetwork,
  type GanSettings,
  generatorAdversarialLoss,
  hingeDiscriminatorLoss,
  vanillaDiscriminatorLoss,
} from "../losses/gan.ts";
import { Buffers } from "../nn/batch_norm.ts";
import { type DiscriminatorOptions, discriminatorWeights, NLAYER_DEFAULTS } from "../nn/discriminator.ts";
import { f32, mul } from "../ops/mod.ts";
import type { ImageLossTerm } from "../plugin.ts";
import type { Tensor } from "../tensor.ts";
import { UsageError } from "../errors.ts";
import type { GanRun } from "./runner.ts";

/** What {@link buildGanRun} needs. */
export interface GanRunOptions {
  /** Graph name stem. */
  name: string;
  batch: number;
  imageSize: number;
  /** Seeds the discriminator's initial weights. */
  seed: number;
  settings: GanSettings;
  /** The generator's optimiser (also the discriminator's unless the settings give one). */
  adamw: AdamWOptions;
  /** The family's loss of step variant `variant` with the given adversarial term. */
  loss: (adversarial: ImageLossTerm, variant: number) => LossBuilder;
  /** The generator's trainable parameters. */
  trainable: (name: string) => boolean;
  /** TiTok's discriminator size (upstream's by default; tests use smaller ones). */
  network?: DiscriminatorOptions;
  /** The generator's batch input holding the real images (default `image`). */
  real?: string;
  /** Micro-batches per optimiser step: with more than 1, every step is built to accumulate. */
  accumulate?: number;
  /**
   * Discriminator weights and buffers to start from where given (e.g. `loss.discriminator.*` of an
   * upstream training checkpoint), in place of the seeded ones; a shape mismatch is refused.
   */
  initial?: Map<string, Tensor>;
}

/** Prefix of TiTok's discriminator's parameters in every graph. */
export const DISCRIMINATOR_PREFIX = "discriminator.";

/** The graphs of the adversarial phase, built per step variant on first use. */
export interface GanSteps {
  /** The generator step of a variant with the adversarial term: D weights fed, output `reconstruction`. */
  generator(variant: number): TrainStep;
  /** The discriminator step a variant trains: inputs `image`, `reconstruction`, its carried state. */
  discriminator(variant: number): TrainStep;
  /** Which discriminator a variant uses (its update counter). */
  discriminatorIndex(variant: number): number;
  /** Initial weights and carried state of a discriminator step. */
  init(step: TrainStep): Map<string, Tensor>;
}

/** The GAN part of a run; its graphs are built only when the run reaches the start. */
export function buildGanRun(o: GanRunOptions): GanRun {
  if (o.settings.network && o.settings.lecamWeight > 0) {
    throw new Error(`GAN network ${o.settings.network.name}: LeCam regularisation is TiTok's only`);
  }
  let built: GanSteps | undefined;
  return {
    start: o.settings.start,
    lr: o.settings.lr,
    real: o.real,
    settings: o.settings,
    build: () => built ??= buildGanSteps(o),
  };
}

const memo = <T>(f: (k: number) => T) => {
  const cache = new Map<number, T>();
  return (k: number) => cache.get(k) ?? cache.set(k, f(k)).get(k)!;
};

/** The graphs of the adversarial phase and the discriminator's seeded initial weights. */
export function buildGanSteps(o: GanRunOptions): GanSteps {
  const net = o.settings.network;
  const acc = (o.accumulate ?? 1) > 1 ? { accumulate: "final" as const } : {};
  const withInitial = (init: Map<string, Tensor>) => initialOver(init, o.initial);
  const dAdamw = o.settings.adamw ?? o.adamw;
  const index = (v: number) => (net?.perVariant ? v : 0);
  if (!net) {
    const network = o.network ?? NLAYER_DEFAULTS;
    const discriminator = buildTrainStep(
      `${o.name}_discriminator`,
      discriminatorLoss({
        batch: o.batch,
        imageSize: o.imageSize,
        lecamWeight: o.settings.lecamWeight,
        factor: o.settings.factor,
        network,
      }),
      () => true,
      dAdamw,
      { ema: false, ...acc },
    );
    const init = withInitial(discriminatorWeights(discriminator.trainable, o.seed + 1));
    return {
      generator: memo((v) =>
        buildTrainStep(
          `${o.name}_gan_${v}`,
          o.loss(adversarialTerm(o.settings, network), v),
          o.trainable,
          o.adamw,
          { isFed: (name) => name.startsWith(DISCRIMINATOR_PREFIX), ...acc },
        )
      ),
      discriminator: () => discriminator,
      discriminatorIndex: index,
      init: () => init,
    };
  }
  const isD = (name: string) => isNetworkParam(net, name);
  return {
    generator: memo((v) =>
      buildTrainStep(
        `${o.name}_gan_${v}`,
        withAdversarialState(o.loss(networkAdversarialTerm(o.settings, net, index(v)), v)),
        (n) => !isD(n) && o.trainable(n),
        o.adamw,
        { isFed: isD, ...acc },
      )
    ),
    discriminator: memo((v) =>
      buildTrainStep(
        `${o.name}_discriminator_${index(v)}`,
        networkDiscriminatorLoss(o, net, index(v)),
        () => true,
        dAdamw,
        { ema: false, ...acc },
      )
    ),
    discriminatorIndex: index,
    init: (step) => withInitial(net.init(step.trainable, step.stateInputs, o.seed + 1)),
  };
}

/** `init` with the tensors of `given` that name its entries (same shapes) in their place. */
function initialOver(init: Map<string, Tensor>, given?: Map<string, Tensor>): Map<string, Tensor> {
  if (!given?.size) return init;
  const out = new Map(init);
  for (const [k, t] of init) {
    const g = given.get(k);
    if (!g) continue;
    if (g.shape.length !== t.shape.length || g.shape.some((d, i) => d !== t.shape[i])) {
      throw new UsageError(
        `--weights: discriminator tensor ${k} has shape [${g.shape}], the network's is [${t.shape}]`,
      );
    }
    out.set(k, g);
  }
  return out;
}

/** Whether a parameter belongs to the network's discriminators (their prefixes share the first scope). */
function isNetworkParam(net: GanNetwork, name: string): boolean {
  return name.startsWith(net.prefix(0).split(".")[0] + ".");
}

/** Buffer updates of the adversarial term, per graph (the term is built once per graph). */
const TERM_STATE = new WeakMap<Graph, Buffers>();

/** The generator's adversarial term against discriminator `index` of `net`: −mean D(x̂), weight input `gan_weight`. */
export function networkAdversarialTerm(s: GanSettings, net: GanNetwork, index: number): ImageLossTerm {
  return {
    weight: s.weight * s.factor,
    scale: (g) => {
      const w = g.values.get("gan_weight") ?? g.input("gan_weight", "float32", []);
      return s.factor === 1 ? w : mul(g, w, g.constant(f32([], [s.factor]), "gan_factor"));
    },
    build: (g, _real, fake) => {
      const buffers = TERM_STATE.get(g) ?? new Buffers(g);
      TERM_STATE.set(g, buffers);
      return generatorAdversarialLoss(g, net.logits(g, fake, index, buffers));
    },
  };
}

/** The family's loss with the adversarial term's buffer updates added to its carried state. */
export function withAdversarialState(loss: LossBuilder): LossBuilder {
  return (g) => {
    const parts = loss(g);
    const buffers = TERM_STATE.get(g);
    return buffers ? { ...parts, state: { ...parts.state, ...buffers.updates() } } : parts;
  };
}

/** The discriminator step of a declared network: factor·hinge(D(x), D(x̂)), two calls, buffers carried. */
export function networkDiscriminatorLoss(
  o: { batch: number; imageSize: number; settings: Pick<GanSettings, "factor" | "loss"> },
  net: GanNetwork,
  index: number,
): LossBuilder {
  return (g) => {
    const shape = [o.batch, 3, o.imageSize, o.imageSize];
    const image = g.input("image", "float32", shape);
    const reconstruction = g.input("reconstruction", "float32", shape);
    const buffers = new Buffers(g);
    const real = net.logits(g, image, index, buffers);
    const fake = net.logits(g, reconstruction, index, buffers);
    const mean = (v: Value) => mul(g, generatorAdversarialLoss(g, v), g.constant(f32([], [-1]), "neg"));
    const kind = o.settings.loss ?? "hinge";
    const loss = kind === "hinge"
      ? hingeDiscriminatorLoss(g, real, fake)
      : vanillaDiscriminatorLoss(g, real, fake);
    return {
      terms: { [kind]: loss, logits_real: mean(real), logits_fake: mean(fake) },
      total: o.settings.factor === 1
        ? loss
        : mul(g, loss, g.constant(f32([], [o.settings.factor]), "factor")),
      state: buffers.updates(),
    };
  };
}
