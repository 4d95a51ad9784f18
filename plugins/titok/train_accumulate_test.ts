/**
 * Gradient accumulation on a tiny TiTok: two micro-batches of 2 update the
 * weights as one batch of 4 does (relative L2 distance of the updates
 * measured at 2.5e-7: float32 noise), the logged loss is
 * the batch's, and a run interrupted at a step boundary resumes exactly —
 * with the GAN too, across its start.
 */
import { deepStrictEqual, ok } from "node:assert";
import { buildTrainStep } from "../../core/autodiff/train_step.ts";
import { TITOK_ADAMW } from "../../core/autodiff/optimizer.ts";
import { readNpy } from "../../core/data/npy.ts";
import { randomWeights } from "../../core/init.ts";
import type { Tensor } from "../../core/tensor.ts";
import { accumulationRuns, updateDistance } from "../../core/train/_accumulate_fixture.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildGanRun } from "../../core/train/gan.ts";
import { runTraining } from "../../core/train/runner.ts";
import { titokAdamW, titokGan, titokLoss, titokTrainable } from "./train.ts";
import { titok } from "./mod.ts";

const TINY = titok.schema.parse(titok.presets["tiny_vq"]);
const INPUT = new URL("../../tests/testdata/titok/vq_single_stage/input.npy", import.meta.url).pathname;

function bigBatch(s: number): Tensor {
  const x = readNpy(INPUT).data as Float32Array;
  const data = new Float32Array(2 * x.length);
  data.set(x.map((v) => (v + 0.05 * s) % 1));
  data.set(x.map((v) => 1 - v), x.length);
  return { dtype: "float32", shape: [4, 3, 32, 32], data };
}

Deno.test("titok train --accumulate 2 at batch 2 equals batch 4, and resumes exactly across a step boundary", async () => {
  const step = (batch: number, accumulate?: "final") => {
    const o = { stage: "single" as const, batch };
    return buildTrainStep("tiny", titokLoss(TINY, o), titokTrainable(TINY, o), TITOK_ADAMW, { accumulate });
  };
  const whole = step(4), acc = step(2, "final");
  const init = randomWeights([...whole.trainable, ...whole.frozen], 11);
  const r = await accumulationRuns(whole, acc, init, bigBatch, { steps: 3, lr: 1e-3 });
  const dist = updateDistance(init, r.accumulated.state, r.whole.state);
  ok(dist < 1e-5, `updates differ by ${dist} (relative L2)`);
  r.whole.log.forEach((l, i) => {
    const a = r.accumulated.log[i];
    ok(Math.abs(a.loss - l.loss) < 1e-5 * Math.abs(l.loss), `step ${l.step}: loss ${a.loss} vs ${l.loss}`);
    ok(
      Math.abs(a.grad_norm - l.grad_norm) < 1e-4 * l.grad_norm,
      `step ${l.step}: grad norm ${a.grad_norm} vs ${l.grad_norm}`,
    );
    deepStrictEqual([a.step, a.lr], [l.step, l.lr]);
  });
  deepStrictEqual(r.resumed.log.map((l) => l.loss), r.accumulated.log.map((l) => l.loss));
  for (const [k, t] of r.accumulated.state.params) {
    deepStrictEqual(r.resumed.state.params.get(k)!.data, t.data, k);
  }
  for (const [k, t] of r.accumulated.state.ema) deepStrictEqual(r.resumed.state.ema.get(k)!.data, t.data, k);
});

Deno.test("titok GAN --accumulate 2: both networks accumulate; a run stopped across the switch resumes to the same state", async () => {
  const o = { stage: "single" as const, batch: 2 };
  const adamw = titokAdamW("single");
  const trainable = titokTrainable(TINY, o);
  const build = () => {
    const step = buildTrainStep("tiny", titokLoss(TINY, o), trainable, adamw, { accumulate: "final" });
    const gan = buildGanRun({
      name: "tiny",
      batch: 2,
      imageSize: 32,
      seed: 4,
      adamw,
      trainable,
      accumulate: 2,
      settings: { ...titokGan("single")!, start: 2 },
      loss: (adversarial) => titokLoss(TINY, { ...o, adversarial }),
    });
    return { step, gan };
  };
  const first = build();
  const init = randomWeights([...first.step.trainable, ...first.step.frozen], 4);
  const half = (s: number, k: number): Tensor => {
    const b = bigBatch(s);
    return { ...b, shape: [2, 3, 32, 32], data: (b.data as Float32Array).slice(k * 6144, (k + 1) * 6144) };
  };
  const batchAt = (s: number, k: number) => Promise.resolve({ image: half(s, k) });
  const opts = {
    steps: 4,
    lr: 1e-3,
    endLr: 1e-4,
    warmup: 1,
    checkpointEvery: 1,
    threads: 2,
    quiet: true,
    accumulate: 2,
  };
  const dir = mkdtempSync(join(tmpdir(), "tok1d-gan-acc-"));
  try {
    const whole = await runTraining(first.step, init, batchAt, {}, {
      ...opts,
      out: join(dir, "a"),
      gan: first.gan,
    });
    deepStrictEqual(whole.log.map((l) => "d.hinge" in l.terms), [false, false, true, true]);
    for (const l of whole.log.slice(2)) {
      ok(Number.isFinite(l.terms["d.hinge"]) && Number.isFinite(l.d_grad_norm));
    }
    const part = build();
    await runTraining(part.step, init, batchAt, {}, {
      ...opts,
      out: join(dir, "b"),
      gan: part.gan,
      stopAfter: 3,
    });
    const rest = build();
    const resumed = await runTraining(rest.step, new Map(), batchAt, {}, {
      ...opts,
      out: join(dir, "b"),
      gan: rest.gan,
      resume: true,
    });
    deepStrictEqual(resumed.log.map((l) => l.loss), whole.log.map((l) => l.loss));
    for (const [k, t] of whole.state.dParams) deepStrictEqual(resumed.state.dParams.get(k)!.data, t.data, k);
    for (const [k, t] of whole.state.params) deepStrictEqual(resumed.state.params.get(k)!.data, t.data, k);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
