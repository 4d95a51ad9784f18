/**
 * Warnings for the failures a small tokenizer run meets first, which the loss
 * alone does not show (issue 16: a VQ run on a photo folder mapped every image
 * to the same tokens within 50 steps and stayed there, silently):
 *
 * - the warm-up is at least as long as the run, so the learning rate never
 *   reaches its peak ({@link warmupWarning});
 * - every image of a batch maps to the same token sequence
 *   ({@link CollapseMonitor}, checked every step);
 * - codebook usage below 5 %: over a window of steps, the distinct ids seen
 *   divided by the ids that could have been distinct there, min(vocabulary,
 *   ids counted) — so a small batch with a large codebook is not a false alarm.
 *
 * Each kind is reported at most once per window, so a collapsed run warns
 * regularly without flooding the log. The first `grace` steps are not judged:
 * a fresh initialisation maps every image to nearly the same encoder output
 * (an FSQ bottleneck rounds them all to one code until training spreads them). The monitor reads the `tokens` output of
 * the train step (int64 ids, batch first; −1 = not sent), which a family's loss
 * declares when it has discrete tokens.
 * @module
 */
import type { Tensor } from "../tensor.ts";

/** Usage below this fraction warns. */
export const LOW_USAGE = 0.05;

/** A warning when `warmup` ≥ `steps` (the schedule then never reaches the peak rate). */
export function warmupWarning(warmup: number, steps: number): string | undefined {
  if (warmup < steps) return undefined;
  return `--warmup ${warmup} is not shorter than the run (--steps ${steps}): the learning rate never ` +
    `reaches --lr; use a warm-up of a few percent of the steps`;
}

/** Watches the token ids of each training batch for collapse. */
export class CollapseMonitor {
  private seen = new Set<number>();
  private counted = 0;
  private windowStart = -1;
  private lastSame = -Infinity;

  /**
   * `vocabulary`: the number of ids (undefined: usage is not checked); `window`: steps per usage
   * check; `grace`: steps (1-based) up to which nothing is judged.
   */
  constructor(readonly vocabulary: number | undefined, readonly window = 50, readonly grace = 20) {}

  /** Records step `step`'s ids (B, …); returns the warnings this step raises. */
  observe(step: number, tokens: Tensor): string[] {
    const warnings: string[] = [];
    if (step <= this.grace) return warnings;
    const rows = rowsOf(tokens);
    if (rows.length > 1 && rows.every((r) => r === rows[0]) && step - this.lastSame >= this.window) {
      this.lastSame = step;
      warnings.push(
        `step ${step}: every image of the batch (${rows.length}) maps to the same tokens — the ` +
          `tokenizer has collapsed (a VQ codebook: try --vq-restart 0.01 where the family has it, an ` +
          `entropy term as in configs/alit/small_recipe.yaml and configs/bdd_1d/small.yaml, or an FSQ bottleneck ` +
          `as in configs/titok/small.yaml)`,
      );
    }
    if (this.vocabulary === undefined) return warnings;
    if (this.windowStart < 0) this.windowStart = step;
    const data = tokens.data as ArrayLike<number | bigint>;
    for (let i = 0; i < data.length; i++) {
      const v = Number(data[i]);
      if (v < 0) continue;
      this.seen.add(v);
      this.counted++;
    }
    if (step - this.windowStart + 1 >= this.window) {
      const reachable = Math.min(this.vocabulary, this.counted);
      const usage = reachable ? this.seen.size / reachable : 1;
      if (usage < LOW_USAGE) {
        warnings.push(
          `steps ${this.windowStart}–${step}: codebook usage ${(100 * usage).toFixed(1)} % ` +
            `(${this.seen.size} distinct ids of ${reachable} possible) is below ${100 * LOW_USAGE} %: ` +
            `the codebook is collapsing`,
        );
      }
      this.seen.clear();
      this.counted = 0;
      this.windowStart = -1;
    }
    return warnings;
  }
}

/** Each batch item's ids as a string key. */
function rowsOf(t: Tensor): string[] {
  const b = t.shape[0] as number;
  const per = b ? t.data.length / b : 0;
  const data = t.data as ArrayLike<number | bigint>;
  const rows: string[] = [];
  for (let i = 0; i < b; i++) {
    const parts: string[] = [];
    for (let j = 0; j < per; j++) parts.push(String(data[i * per + j]));
    rows.push(parts.join(","));
  }
  return rows;
}
