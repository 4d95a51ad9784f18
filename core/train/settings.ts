/**
 * A run's GAN and dead-code-restart settings from the family's hooks and the
 * caller's overrides: upstream's GAN settings per stage (refused where a stage
 * has no discriminator) with `discriminator` values replacing them, and
 * `vqRestart` where the stage trains a VQ codebook. Messages name the
 * command-line flags the options come from.
 * @module
 */
import { UsageError } from "../errors.ts";
import type { GanSettings } from "../losses/gan.ts";
import type { TrainHooks } from "../plugin.ts";
import type { DeadCodeOptions } from "../quantizers/dead_code.ts";

/** Overrides of a stage's GAN settings. */
export interface DiscriminatorOptions {
  /** First step with the GAN terms (`--discriminator-start`). */
  start?: number;
  /** Weight of the generator's GAN term (`--discriminator-weight`). */
  weight?: number;
  /** LeCam regularisation weight (`--lecam-weight`). */
  lecamWeight?: number;
  /** Peak discriminator learning rate (`--discriminator-lr`). */
  lr?: number;
}

const FLAGS: Record<keyof DiscriminatorOptions, string> = {
  start: "--discriminator-start",
  weight: "--discriminator-weight",
  lecamWeight: "--lecam-weight",
  lr: "--discriminator-lr",
};
const KEYS = ["start", "weight", "lecamWeight", "lr"] as const;

/**
 * The stage's GAN settings with the overrides applied, or undefined when the
 * run has no discriminator (`gan` false: off; true: required; undefined: the stage's default).
 */
export function ganSettings<C>(
  hooks: TrainHooks<C>,
  config: C,
  stage: string,
  gan: boolean | undefined,
  d: DiscriminatorOptions = {},
): GanSettings | undefined {
  const defaults = hooks.gan?.(config, stage);
  const given = KEYS.filter((k) => d[k] !== undefined);
  if (gan && !defaults) throw new UsageError(`--gan: stage ${stage} trains without a discriminator`);
  if (!defaults || gan === false) {
    if (given.length) {
      throw new UsageError(`${FLAGS[given[0]]}: stage ${stage} runs without a discriminator here (no GAN)`);
    }
    return undefined;
  }
  for (const k of given) {
    const v = d[k]!;
    if (!Number.isFinite(v) || v < 0) {
      throw new UsageError(`${FLAGS[k]}: expected a non-negative number, got '${v}'`);
    }
  }
  const start = d.start ?? defaults.start;
  if (!Number.isInteger(start)) {
    throw new UsageError(`--discriminator-start: expected a whole step, got '${start}'`);
  }
  return {
    ...defaults,
    start,
    weight: d.weight ?? defaults.weight,
    lecamWeight: d.lecamWeight ?? defaults.lecamWeight,
    lr: d.lr ?? defaults.lr,
    // A given discriminator rate gets its own schedule.
    sameLr: d.lr === undefined ? defaults.sameLr : false,
  };
}

/** Dead-code restart below `threshold` uses a step (usage EMA, decay 0.99), where the stage trains a VQ codebook. */
export function vqRestartOptions<C>(
  hooks: TrainHooks<C>,
  config: C,
  stage: string,
  threshold: number,
): DeadCodeOptions {
  if (!hooks.vqRestart?.(config, stage)) {
    throw new UsageError(`--vq-restart: stage ${stage} of this model trains no VQ codebook`);
  }
  if (!(threshold > 0) || !Number.isFinite(threshold)) {
    throw new UsageError(`--vq-restart: expected a positive usage threshold (e.g. 0.01), got '${threshold}'`);
  }
  return { decay: 0.99, threshold };
}
