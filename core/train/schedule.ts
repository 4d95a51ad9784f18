/**
 * Learning-rate schedules. TiTok's: linear warm-up from 0, then cosine decay
 * from the base rate to `endLr` over the remaining steps.
 * @module
 */

/** Cosine schedule settings. */
export interface CosineSchedule {
  lr: number;
  endLr: number;
  warmup: number;
  steps: number;
}

/** The learning rate at `step` (0-based: the rate used for the update that makes step + 1). */
export function cosineLr(s: CosineSchedule, step: number): number {
  if (step < s.warmup) return (s.lr * (step + 1)) / s.warmup;
  const span = Math.max(1, s.steps - s.warmup);
  const progress = Math.min(1, (step - s.warmup) / span);
  return s.endLr + 0.5 * (s.lr - s.endLr) * (1 + Math.cos(Math.PI * progress));
}

/** Upstream's EMA decay: min((1 + s)/(10 + s), max). */
export function emaDecay(step: number, max = 0.999): number {
  return Math.min((1 + step) / (10 + step), max);
}

/** The generator's schedule settings, plus the discriminator's own peak rate. */
export interface DiscriminatorSchedule extends CosineSchedule {
  /** The generator's peak rate (`lr` is the discriminator's). */
  baseLr: number;
}

/**
 * The discriminator's rate at generator step `step` ≥ `start`: upstream's
 * scheduler multiplies the discriminator's rate by the generator's cosine
 * factor (same warm-up and end rate, relative to the generator's peak),
 * stepped only when the discriminator trains, over steps − start steps.
 */
export function discriminatorLr(s: DiscriminatorSchedule, start: number, step: number): number {
  const scale = s.lr / s.baseLr;
  return cosineLr(
    { lr: s.lr, endLr: s.endLr * scale, warmup: s.warmup, steps: s.steps - start },
    step - start,
  );
}

/**
 * Linear warm-up then constant: lr · min(step / warmup, 1), as a torch
 * `LambdaLR` with that lambda stepped once per optimiser step (taming's
 * `get_warmup_scheduler`, used by BDD-1D): the first update runs at rate 0.
 */
export function constantLr(s: { lr: number; warmup: number }, step: number): number {
  return s.warmup > 0 && step < s.warmup ? (s.lr * step) / s.warmup : s.lr;
}
