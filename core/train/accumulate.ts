/**
 * Gradient accumulation in the training loop: an optimiser step over N
 * micro-batches runs the `partial` twin of each train step on the first N − 1
 * (each adds 1/N of its gradient to the sums it is fed) and the step itself
 * on the last (which adds its share and updates once). The sums live here
 * between micro-batches and never reach a checkpoint: checkpoints are written
 * at step boundaries only, and a resumed run repeats the step's micro-batches
 * from the first. The logged loss and terms are the means over the
 * micro-batches (for mean-reduced losses, the loss of the whole step's batch).
 *
 * @example
 * ```ts
 * const sums = new GradientSums(4);
 * for (let k = 0; k < 4; k++) {
 *   const g = microStep(step, k === 3);
 *   sums.feed(feeds, g, k === 0);
 *   const r = await session.run(feeds);
 *   if (k < 3) sums.keep(r, g);
 * }
 * ```
 * @module
 */
import type { TrainStep } from "../autodiff/train_step.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { scalar } from "./step_state.ts";

/** The graph micro-batch `final ? last : earlier` of an accumulated step runs. */
export function microStep(step: TrainStep, final: boolean): TrainStep {
  if (final || !step.accumulate) return step;
  if (!step.partial) throw new Error(`train step ${step.graph.name}: built without gradient accumulation`);
  return step.partial();
}

/** The running gradient sums of one network's parameters (generator or discriminator). */
export class GradientSums {
  private readonly sums = new Map<string, Tensor>();

  constructor(readonly n: number) {}

  /** Feeds `accum_scale` and `grad_acc.*` (zeroed on the step's first micro-batch) to an accumulating graph. */
  feed(feeds: Record<string, Tensor>, step: TrainStep, first: boolean): void {
    if (!step.accumulate) return;
    feeds.accum_scale = scalar(1 / this.n);
    for (const p of step.trainable) {
      let t = this.sums.get(p.name);
      if (!t) this.sums.set(p.name, t = zeros("float32", p.shape) as Tensor);
      else if (first) (t.data as Float32Array).fill(0);
      feeds[`grad_acc.${p.name}`] = t;
    }
  }

  /** Keeps a partial step's new sums (the same buffers when updated in place). */
  keep(r: Record<string, Tensor>, step: TrainStep): void {
    for (const p of step.trainable) this.sums.set(p.name, r[`new.grad_acc.${p.name}`]);
  }
}

/** Means of the logged values over a step's micro-batches. */
export class TermMeans {
  private readonly sums: Record<string, number> = {};
  private count = 0;

  add(values: Record<string, number>): void {
    for (const [k, v] of Object.entries(values)) this.sums[k] = (this.sums[k] ?? 0) + v;
    this.count++;
  }

  mean(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.sums).map(([k, v]) => [k, v / this.count]));
  }
}
