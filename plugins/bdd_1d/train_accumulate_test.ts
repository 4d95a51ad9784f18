/**
 * Gradient accumulation on the tiny BDD-1D (upstream's grad_acc_steps): two
 * micro-batches of 2 update the weights as one batch of 4 does, through the
 * trainer's batch feeder (its entropy-weight feed included), and a run
 * interrupted at a step boundary resumes exactly. The quantiser's codebook
 * entropy H(mean p) is not a mean over images, so the check sets
 * `diversity_gamma` to 0 (the per-image entropy term stays).
 */
import { deepStrictEqual, ok } from "node:assert";
import { buildTrainStep } from "../../core/autodiff/train_step.ts";
import { readNpy } from "../../core/data/npy.ts";
import type { Tensor } from "../../core/tensor.ts";
import { accumulationRuns, updateDistance } from "../../core/train/_accumulate_fixture.ts";
import { loadCheckpoint } from "../../core/weights/checkpoint.ts";
import { bdd1d, loadBdd } from "./mod.ts";
import { bddAdam, bddLoss, bddTrainable } from "./train.ts";

const DIR = new URL("../../tests/testdata/bdd_1d/", import.meta.url).pathname;

function bigBatch(s: number): Tensor {
  const x = readNpy(`${DIR}input.npy`) as Tensor;
  const data = (x.data as Float32Array).map((v) => (v + 0.05 * s) % 1);
  return { dtype: "float32", shape: x.shape, data };
}

Deno.test("bdd_1d train --accumulate 2 at batch 2 equals batch 4, and resumes exactly across a step boundary", async () => {
  const raw = structuredClone(bdd1d.presets["tiny"]) as {
    model: { params: { quantizer_config: { params: Record<string, unknown> } } };
  };
  raw.model.params.quantizer_config.params.diversity_gamma = 0;
  const c = bdd1d.schema.parse(raw);
  // Adam's ε at 1: the update then follows the gradient instead of its sign, which for the biases
  // whose true gradient is 0 (a conv bias before a one-channel GroupNorm, attention's key bias) would turn
  // float32 noise into ±lr steps, differently in each run (with ε 1e-8 the updates differ by 3e-3).
  const adam = { ...bddAdam(c), eps: 1 };
  const step = (batch: number, accumulate?: "final") =>
    buildTrainStep("bdd", bddLoss(c, { stage: "ae", batch }), bddTrainable(c, {}), adam, { accumulate });
  const whole = step(4), acc = step(2, "final");
  deepStrictEqual(bigBatch(0).shape, [4, 3, 32, 32]);
  const init = loadBdd(loadCheckpoint(`${DIR}model.ckpt`).tensors, c, () => {});
  const r = await accumulationRuns(whole, acc, init, bigBatch, {
    steps: 3,
    lr: 1e-3,
    warmup: 1,
    schedule: "constant",
  });
  const dist = updateDistance(init, r.accumulated.state, r.whole.state);
  // Measured 6.3e-6: float32 noise.
  ok(dist < 5e-5, `updates differ by ${dist} (relative L2)`);
  r.whole.log.forEach((l, i) => {
    const a = r.accumulated.log[i];
    ok(Math.abs(a.loss - l.loss) < 1e-5 * Math.abs(l.loss), `step ${l.step}: loss ${a.loss} vs ${l.loss}`);
    deepStrictEqual([a.step, a.lr, a.terms.entropy_weight], [l.step, l.lr, l.terms.entropy_weight]);
  });
  deepStrictEqual(r.whole.log.map((l) => l.lr), [0, 1e-3, 1e-3], "warm-up then constant, rate 0 first");
  deepStrictEqual(r.resumed.log.map((l) => l.loss), r.accumulated.log.map((l) => l.loss));
  for (const [k, t] of r.accumulated.state.params) {
    deepStrictEqual(r.resumed.state.params.get(k)!.data, t.data, k);
  }
});
