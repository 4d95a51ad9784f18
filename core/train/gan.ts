/**
 * Assembles the GAN part of a run ({@link GanRun}) from a family's loss
 * builder: at the switch, the discriminator step (hinge + LeCam, AdamW
 * without weight EMA), its torch-default initial weights, and the generator
 * step with the adversarial term, into which the discriminator's weights are
 * fed.
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
import { buildTrainStep, type LossBuilder } from "../autodiff/train_step.ts";
import { adversarialTerm, discriminatorLoss, type GanSettings } from "../losses/gan.ts";
import { type DiscriminatorOptions, discriminatorWeights, NLAYER_DEFAULTS } from "../nn/discriminator.ts";
import type { ImageLossTerm } from "../plugin.ts";
import type { GanRun } from "./runner.ts";
import type { GanSteps } from "./sessions.ts";

/** What {@link buildGanRun} needs. */
export interface GanRunOptions {
  /** Graph name stem. */
  name: string;
  batch: number;
  imageSize: number;
  /** Seeds the discriminator's initial weights. */
  seed: number;
  settings: GanSettings;
  /** Shared by generator and discriminator, as upstream. */
  adamw: AdamWOptions;
  /** The family's loss with the given adversarial term. */
  loss: (adversarial: ImageLossTerm) => LossBuilder;
  /** The generator's trainable parameters. */
  trainable: (name: string) => boolean;
  /** Discriminator size (upstream's by default; tests use smaller ones). */
  network?: DiscriminatorOptions;
  /** The generator's batch input holding the real images (default `image`). */
  real?: string;
}

/** Prefix of the discriminator's parameters in every graph. */
export const DISCRIMINATOR_PREFIX = "discriminator.";

/**
 * The GAN part of a run; its graphs (the discriminator step, the generator
 * step with the adversarial term) and the discriminator's initial weights
 * are built only when the run reaches the start.
 */
export function buildGanRun(o: GanRunOptions): GanRun {
  return { start: o.settings.start, lr: o.settings.lr, real: o.real, build: () => buildGanSteps(o) };
}

/** The graphs of the adversarial phase and the discriminator's seeded initial weights. */
export function buildGanSteps(o: GanRunOptions): GanSteps {
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
    o.adamw,
    { ema: false },
  );
  return {
    discriminator,
    init: discriminatorWeights(discriminator.trainable, o.seed + 1),
    generator: buildTrainStep(
      `${o.name}_gan`,
      o.loss(adversarialTerm(o.settings, network)),
      o.trainable,
      o.adamw,
      {
        isFed: (name) => name.startsWith(DISCRIMINATOR_PREFIX),
      },
    ),
  };
}
