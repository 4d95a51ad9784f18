import { ok, rejects } from "node:assert";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildTrainStep } from "../autodiff/train_step.ts";
import { TITOK_ADAMW } from "../autodiff/optimizer.ts";
import { f32, mul, reduceSum, sqrt } from "../ops/mod.ts";
import { checkpointPath, runTraining } from "./runner.ts";

Deno.test("runner: a finite loss with a non-finite gradient stops before the weights turn NaN", async () => {
  // loss = Σ sqrt(w²·x): finite at x = 0, but its gradient is 0·∞ = NaN there.
  const step = buildTrainStep(
    "sqrt_at_zero",
    (g) => {
      const x = g.input("x", "float32", [2]);
      const w = g.param("w", [2]);
      const total = reduceSum(g, sqrt(g, mul(g, mul(g, w, w), x)), [0], false);
      return { terms: {}, total };
    },
    () => true,
    TITOK_ADAMW,
  );
  const out = mkdtempSync(join(tmpdir(), "tok1d-runner-"));
  const x = (s: number) => f32([2], s < 2 ? [1, 2] : [0, 2]);
  await rejects(
    runTraining(step, new Map([["w", f32([2], [0.5, 0.5])]]), (s) => Promise.resolve({ x: x(s) }), {}, {
      out,
      steps: 4,
      lr: 1e-2,
      endLr: 1e-3,
      warmup: 0,
      checkpointEvery: 1,
      threads: 1,
      quiet: true,
    }),
    /the gradient norm is NaN at step 3; stopped\. The last good checkpoint \(step 2\)/,
  );
  ok(existsSync(checkpointPath(out)));
});
