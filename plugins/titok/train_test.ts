/**
 * TiTok training: gradients of the stage-2 loss equal PyTorch autograd on the
 * upstream code (tests/testdata/titok_grad), the loss falls on a fixed batch,
 * and an interrupted run resumes to the identical loss sequence.
 */
import { deepStrictEqual, ok } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gradients } from "../../core/autodiff/grad.ts";
import { buildTrainStep } from "../../core/autodiff/train_step.ts";
import { TITOK_ADAMW } from "../../core/autodiff/optimizer.ts";
import { parseConfig, readConfigFile } from "../../core/config.ts";
import { readNpy } from "../../core/data/npy.ts";
import { Graph } from "../../core/graph/graph.ts";
import { randomWeights } from "../../core/init.ts";
import { Session } from "../../core/runtime/mod.ts";
import type { Tensor } from "../../core/tensor.ts";
import { runTraining } from "../../core/train/runner.ts";
import { readSafetensors } from "../../core/weights/safetensors.ts";
import { titokSchema } from "./config.ts";
import { titokLoss, titokTrainable } from "./train.ts";
import { titok } from "./mod.ts";

const DATA = new URL("../../tests/testdata/", import.meta.url).pathname;

Deno.test("titok stage 2: loss and every parameter gradient match PyTorch autograd on upstream code", async () => {
  const dir = `${DATA}titok/vq_two_stage`;
  const cfg = parseConfig(titokSchema, readConfigFile(`${dir}/config.yaml`), "config.yaml");
  const o = { stage: "stage2" as const, batch: 2 };
  const g = new Graph("grad_parity");
  const { total } = titokLoss(cfg, o)(g);
  const trainable = titokTrainable(cfg, o);
  const names = [...g.params.keys()].filter(trainable);
  const grads = gradients(g, total, names);
  g.output(total, "loss");
  for (const n of names) g.output(grads.get(n)!, `grad.${n}`);
  const weights = readSafetensors(`${dir}/model.safetensors`).tensors;
  const s = await Session.create(g, weights, { threads: 2 });
  const feeds: Record<string, Tensor> = { image: readNpy(`${dir}/input.npy`) };
  const r = await s.run(feeds);
  await s.release();
  const want = readSafetensors(`${DATA}titok_grad/grads.safetensors`).tensors;
  ok(Math.abs(Number(r.loss.data[0]) - 0.4200758635997772) < 1e-5, `loss ${r.loss.data[0]}`);
  deepStrictEqual(names.sort(), [...want.keys()].sort(), "the same parameters receive gradients");
  for (const n of names) {
    const a = r[`grad.${n}`].data as Float32Array;
    const b = want.get(n)!.data as Float32Array;
    let diff = 0, norm = 0;
    for (let i = 0; i < b.length; i++) {
      diff += (a[i] - b[i]) ** 2;
      norm += b[i] ** 2;
    }
    // One bias has an exactly-zero true gradient (see the fixture README): compare it absolutely.
    const err = norm > 1e-12 ? Math.sqrt(diff / norm) : Math.sqrt(diff);
    ok(err < 1e-4, `${n}: relative L2 error ${err}`);
  }
});

const TINY = titok.schema.parse(titok.presets["tiny_vq"]);

function tinyStep() {
  const o = { stage: "single" as const, batch: 4 };
  return buildTrainStep("tiny", titokLoss(TINY, o), titokTrainable(TINY, o), TITOK_ADAMW);
}

function fixedBatch(): Tensor {
  const x = readNpy(`${DATA}titok/vq_single_stage/input.npy`).data as Float32Array;
  const data = new Float32Array(4 * x.length / 2);
  data.set(x);
  data.set(x.map((v) => 1 - v), x.length);
  return { dtype: "float32", shape: [4, 3, 32, 32], data };
}

const OPTS = { steps: 40, lr: 2e-3, endLr: 2e-4, warmup: 4, checkpointEvery: 10, threads: 1, quiet: true };

Deno.test("titok train: the loss falls by more than half over 40 steps on a fixed batch", async () => {
  const step = tinyStep();
  const init = randomWeights([...step.trainable, ...step.frozen], 3);
  const batch = fixedBatch();
  const out = mkdtempSync(join(tmpdir(), "tok1d-train-"));
  const { log } = await runTraining(step, init, () => Promise.resolve({ image: batch }), {}, {
    ...OPTS,
    out,
  });
  deepStrictEqual(log.length, 40);
  const first = log[0].loss;
  const last = log[log.length - 1].loss;
  ok(last < 0.5 * first, `loss ${first} → ${last}`);
  ok(log.every((l) => Number.isFinite(l.grad_norm)));
});

Deno.test("titok train: a run stopped at step 15 and resumed gives the uninterrupted loss sequence", async () => {
  const step = tinyStep();
  const init = randomWeights([...step.trainable, ...step.frozen], 5);
  const batchAt = (s: number) => {
    const b = fixedBatch();
    (b.data as Float32Array).forEach((v, i, a) => (a[i] = (v + 0.01 * s) % 1));
    return Promise.resolve({ image: b });
  };
  const a = mkdtempSync(join(tmpdir(), "tok1d-train-a-"));
  const full = await runTraining(step, init, batchAt, {}, { ...OPTS, steps: 30, out: a });
  const b = mkdtempSync(join(tmpdir(), "tok1d-train-b-"));
  // Stops after 15 steps; the last checkpoint is at step 10, so 5 steps are redone.
  await runTraining(step, init, batchAt, {}, { ...OPTS, steps: 30, out: b, stopAfter: 15 });
  const resumed = await runTraining(step, new Map(), batchAt, {}, {
    ...OPTS,
    steps: 30,
    out: b,
    resume: true,
  });
  deepStrictEqual(resumed.log.map((l) => l.loss), full.log.map((l) => l.loss));
  deepStrictEqual(
    resumed.state.params.get("latent_tokens")!.data,
    full.state.params.get("latent_tokens")!.data,
  );
});
