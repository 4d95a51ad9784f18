/**
 * ElasticTok training: the loss (MSE under random tail masks, + KL for the
 * VAE) falls on a fixed batch for both bottlenecks; the mask draw covers
 * upstream's range.
 */
import { deepStrictEqual, ok } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildTrainStep } from "../../core/autodiff/train_step.ts";
import { randomWeights, Rng } from "../../core/init.ts";
import type { Tensor } from "../../core/tensor.ts";
import { runTraining } from "../../core/train/runner.ts";
import { elastictok } from "./mod.ts";
import { ELASTIC_ADAMW, elasticLoss } from "./train.ts";

function batch(b: number, s: number): Tensor<"float32"> {
  const n = b * 3 * s * s;
  return {
    dtype: "float32",
    shape: [b, 3, s, s],
    data: Float32Array.from({ length: n }, (_, i) => {
      const x = i % s, y = Math.floor(i / s) % s, item = Math.floor(i / (3 * s * s));
      return 0.5 + 0.35 * Math.sin((x + 3 * item) / 3) * Math.cos((y - item) / 4);
    }),
  };
}

for (const preset of ["tiny_fsq", "tiny_vae"]) {
  Deno.test(`elastictok/${preset} train: the loss falls by more than half in 80 steps on a fixed batch`, async () => {
    const c = elastictok.schema.parse(elastictok.presets[preset]);
    const o = { stage: "single", batch: 4 };
    const step = buildTrainStep(preset, elasticLoss(c, o), () => true, ELASTIC_ADAMW);
    deepStrictEqual(step.draws.map((d) => [d.input.name, d.high]), [["kept_draw", c.max_toks - c.min_toks]]);
    const init = randomWeights([...step.trainable, ...step.frozen], 3);
    const x = batch(4, 16);
    const rng = new Rng(9);
    const noise = step.batchInputs.find((v) => v.name === "noise");
    const out = mkdtempSync(join(tmpdir(), "elastic-train-"));
    try {
      const { log } = await runTraining(
        step,
        init,
        () => {
          const feeds: Record<string, Tensor> = { image: x };
          if (noise) {
            const shape = noise.shape as number[];
            const data = Float32Array.from(
              { length: shape.reduce((a, b) => a * b, 1) },
              () => 0.1 * rng.normal(),
            );
            feeds.noise = { dtype: "float32", shape, data };
          }
          return Promise.resolve(feeds);
        },
        {},
        { steps: 80, lr: 3e-3, endLr: 3e-4, warmup: 4, checkpointEvery: 40, threads: 1, quiet: true, out },
      );
      // Masks differ per step: compare the first step with the mean of the last five.
      const first = log[0].loss, last = log.slice(-5).reduce((a, l) => a + l.loss, 0) / 5;
      ok(last < 0.5 * first, `loss ${first} → ${last}`);
      ok(log.every((l) => Number.isFinite(l.grad_norm)));
      if (noise) {
        ok(log.every((l) => Number.isFinite(l.terms.kl)), `kl logged: ${JSON.stringify(log[0].terms)}`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}
