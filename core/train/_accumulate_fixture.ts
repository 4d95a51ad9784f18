/**
 * Test helper: the same run with gradient accumulation 2 at batch B and
 * without at batch 2B, on the same images (micro-batch k of a step holds half
 * k of the big batch, through the trainer's own batch feeder), and the
 * accumulated run interrupted after a step boundary and resumed.
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TrainStep } from "../autodiff/train_step.ts";
import type { Tensor } from "../tensor.ts";
import type { TrainState } from "./checkpoint.ts";
import { batchFeeder, type ImageBatches } from "./feeds.ts";
import { runTraining, type StepLog } from "./runner.ts";

/** The big batch of step s, (2B, 3, S, S). */
export type BigBatch = (s: number) => Tensor;

const half = (t: Tensor, k: number): Tensor => {
  const n = t.data.length / 2;
  return {
    ...t,
    shape: [t.shape[0] / 2, ...t.shape.slice(1)],
    data: (t.data as Float32Array).slice(k * n, (k + 1) * n),
  };
};

/** Image batches by data index: whole big batches, or halves of them with accumulation 2. */
function images(big: BigBatch, accumulate: number): ImageBatches {
  return {
    at: (i) => Promise.resolve(accumulate === 1 ? big(i) : half(big(Math.floor(i / 2)), i % 2)),
    close: () => Promise.resolve(),
  };
}

export interface AccumulationRuns {
  whole: { state: TrainState; log: StepLog[] };
  accumulated: { state: TrainState; log: StepLog[] };
  resumed: { state: TrainState; log: StepLog[] };
}

/**
 * Runs `steps` steps of `whole` (built at batch 2B) and of `accumulated` (built at batch B with
 * `accumulate: "final"`), and the accumulated run again stopped after one step and resumed.
 */
export async function accumulationRuns(
  whole: TrainStep,
  accumulated: TrainStep,
  init: Map<string, Tensor>,
  big: BigBatch,
  o: { steps: number; lr: number; warmup?: number; schedule?: "cosine" | "constant" },
): Promise<AccumulationRuns> {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-accumulate-"));
  const opts = {
    steps: o.steps,
    lr: o.lr,
    endLr: o.lr / 10,
    warmup: o.warmup ?? 0,
    schedule: o.schedule,
    checkpointEvery: 1,
    threads: 2,
    quiet: true,
  };
  try {
    const feed = (step: TrainStep, n: number) =>
      batchFeeder(step, { images: images(big, n), seed: 0, accumulate: n });
    const a = await runTraining(whole, init, feed(whole, 1), {}, { ...opts, out: join(dir, "whole") });
    const b = await runTraining(accumulated, init, feed(accumulated, 2), {}, {
      ...opts,
      accumulate: 2,
      out: join(dir, "acc"),
    });
    await runTraining(accumulated, init, feed(accumulated, 2), {}, {
      ...opts,
      accumulate: 2,
      out: join(dir, "resumed"),
      stopAfter: 1,
    });
    const c = await runTraining(accumulated, new Map(), feed(accumulated, 2), {}, {
      ...opts,
      accumulate: 2,
      out: join(dir, "resumed"),
      resume: true,
    });
    return { whole: a, accumulated: b, resumed: c };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Relative L2 distance of the parameter changes since `init` (the updates), over every trained tensor. */
export function updateDistance(init: Map<string, Tensor>, a: TrainState, b: TrainState): number {
  let d = 0, n = 0;
  for (const [k, pa] of a.params) {
    const x = pa.data as Float32Array, y = b.params.get(k)!.data as Float32Array;
    const p0 = init.get(k)!.data as Float32Array;
    for (let i = 0; i < x.length; i++) {
      d += (x[i] - y[i]) ** 2;
      n += (y[i] - p0[i]) ** 2;
    }
  }
  return Math.sqrt(d / n);
}
