/**
 * Flags of `tok1d train` that become training settings: the GAN stage's
 * (upstream defaults per stage, overridden by `--discriminator-*`,
 * `--lecam-weight`, refused where a stage has no discriminator) and
 * `--vq-restart`.
 * @module
 */
import { UsageError } from "../core/errors.ts";
import type { GanSettings } from "../core/losses/gan.ts";
import type { TrainHooks } from "../core/plugin.ts";
import type { DeadCodeOptions } from "../core/quantizers/dead_code.ts";

/** The GAN flags (`gan` is false for `--no-gan`). */
export interface GanFlags {
  gan?: boolean;
  discriminatorStart?: string;
  discriminatorWeight?: string;
  lecamWeight?: string;
  discriminatorLr?: string;
}

/** A non-negative number flag. */
export function num(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new UsageError(`${flag}: expected a non-negative number, got '${v}'`);
  }
  return n;
}

const GAN_FLAGS = {
  discriminatorStart: "--discriminator-start",
  discriminatorWeight: "--discriminator-weight",
  lecamWeight: "--lecam-weight",
  discriminatorLr: "--discriminator-lr",
} as const;

/** The stage's GAN settings with the flags applied, or undefined when the run has no discriminator. */
export function ganSettings<C>(
  hooks: TrainHooks<C>,
  config: C,
  stage: string,
  f: GanFlags,
): GanSettings | undefined {
  const defaults = hooks.gan?.(config, stage);
  const given = (Object.keys(GAN_FLAGS) as (keyof typeof GAN_FLAGS)[]).filter((k) => f[k] !== undefined);
  if (f.gan && !defaults) throw new UsageError(`--gan: stage ${stage} trains without a discriminator`);
  if (!defaults || f.gan === false) {
    if (given.length) {
      throw new UsageError(
        `${GAN_FLAGS[given[0]]}: stage ${stage} runs without a discriminator here (no GAN)`,
      );
    }
    return undefined;
  }
  const start = f.discriminatorStart === undefined
    ? defaults.start
    : num(f.discriminatorStart, "--discriminator-start");
  if (!Number.isInteger(start)) {
    throw new UsageError(`--discriminator-start: expected a whole step, got '${start}'`);
  }
  const pick = (k: "discriminatorWeight" | "lecamWeight" | "discriminatorLr", d: number) =>
    f[k] === undefined ? d : num(f[k]!, GAN_FLAGS[k]);
  return {
    ...defaults,
    start,
    weight: pick("discriminatorWeight", defaults.weight),
    lecamWeight: pick("lecamWeight", defaults.lecamWeight),
    lr: pick("discriminatorLr", defaults.lr),
  };
}

/** `--vq-restart <threshold>`: restart codes used less than `threshold` times a step (usage EMA, decay 0.99). */
export function vqRestartOptions<C>(
  hooks: TrainHooks<C>,
  config: C,
  stage: string,
  value: string,
): DeadCodeOptions {
  if (!hooks.vqRestart?.(config, stage)) {
    throw new UsageError(`--vq-restart: stage ${stage} of this model trains no VQ codebook`);
  }
  const threshold = Number(value);
  if (!(threshold > 0) || !Number.isFinite(threshold)) {
    throw new UsageError(`--vq-restart: expected a positive usage threshold (e.g. 0.01), got '${value}'`);
  }
  return { decay: 0.99, threshold };
}
