/**
 * What each step of a run trains, from the GAN settings and the number of
 * step variants a stage declares: which variant's graph (ALIT: the rollout
 * iteration whose loss the step carries), whether the generator and the
 * discriminator update, and the adversarial weight.
 *
 * - Before `start`: the generator alone, the variant cycling once per
 *   generator update (ALIT's `current_repeatition_iter`).
 * - From `start` on, by default, both every step (TiTok). With a `period`
 *   P, each cycle of P steps updates the discriminator on its first P − 1
 *   steps and the generator on the last (ALIT: `gan_optimizer_idx` is the
 *   generator's only where (data_iter_step + 1) % 9 == 0); the variant moves
 *   on after each generator update, so the discriminator steps before it
 *   train the discriminator of the variant the generator update will use.
 * - The adversarial weight is `weight` from `start`, then each entry of
 *   `weights` from its step (ALIT: 0.2 from epoch 21, 0.8 from epoch 101).
 * - With `epochSteps`, the cycle and variant counters restart at every epoch
 *   boundary, as upstream's per-epoch loop counters do.
 *
 * @example
 * ```ts
 * planStep(27_700, { variants: 8, gan: { start: 27_699, weight: 0.2, period: 9, epochSteps: 1319, … } });
 * // { variant: 0, generator: false, discriminator: true, adversarial: true, weight: 0.2 }
 * ```
 * @module
 */
import type { GanSettings } from "../losses/gan.ts";

/** What one step runs. */
export interface StepPlan {
  /** Which of the stage's step variants (0 when it has one). */
  variant: number;
  generator: boolean;
  discriminator: boolean;
  /** In the adversarial phase (the generator's graph has the adversarial term). */
  adversarial: boolean;
  /** Weight of the generator's adversarial term (0 before the start). */
  weight: number;
}

/** The schedule parts of {@link GanSettings} {@link planStep} reads. */
export type GanSchedule = Pick<GanSettings, "start" | "weight" | "weights" | "period" | "epochSteps">;

/** The adversarial weight at step `s` ≥ start. */
export function ganWeightAt(gan: GanSchedule, s: number): number {
  let w = gan.weight;
  for (const e of gan.weights ?? []) if (s >= e.from) w = e.weight;
  return w;
}

/** The plan of 0-based step `s` for a stage with `variants` step variants and (optionally) a GAN. */
export function planStep(s: number, o: { variants: number; gan?: GanSchedule }): StepPlan {
  const v = Math.max(1, o.variants);
  const gan = o.gan;
  const epochStart = gan?.epochSteps ? Math.floor(s / gan.epochSteps) * gan.epochSteps : 0;
  if (!gan || s < gan.start) {
    return {
      variant: (s - epochStart) % v,
      generator: true,
      discriminator: false,
      adversarial: false,
      weight: 0,
    };
  }
  const weight = ganWeightAt(gan, s);
  const phaseStart = Math.max(epochStart, gan.start);
  // Generator updates earlier in this epoch, before the adversarial phase began.
  const before = phaseStart - epochStart;
  const t = s - phaseStart;
  const period = gan.period ?? 1;
  if (period <= 1) {
    return { variant: (before + t) % v, generator: true, discriminator: true, adversarial: true, weight };
  }
  const generator = (t + 1) % period === 0;
  const variant = (before + Math.floor(t / period)) % v;
  return { variant, generator, discriminator: !generator, adversarial: true, weight };
}
