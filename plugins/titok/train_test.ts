/**
 * TiTok training: gradients of the stage-2 loss equal PyTorch autograd on the
 * upstream code (tests/testdata/titok_grad), the loss falls on a fixed batch,
 * and an interrupted run resumes to the identical loss sequence; with the
 * GAN stage, the discriminator joins at its start, its terms are logged and
 * checkpointed, resumes across the switch are exact and a NaN still stops.
 */
import { deepStrictEqual, ok, rejects } from "node:assert";
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
import { titokAdamW, titokGan, titokLoss, titokTrainable } from "./train.ts";
import { buildGanRun } from "../../core/train/gan.ts";
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

/** A tiny single-stage GAN run: the discriminator (upstream's size) joins at step 3. */
function ganRun(seed: number) {
  const o = { stage: "single" as const, batch: 2 };
  const adamw = titokAdamW("single");
  const trainable = titokTrainable(TINY, o);
  const step = buildTrainStep("tiny", titokLoss(TINY, o), trainable, adamw);
  const gan = buildGanRun({
    name: "tiny",
    batch: 2,
    imageSize: 32,
    seed,
    adamw,
    trainable,
    settings: { ...titokGan("single")!, start: 3 },
    loss: (adversarial) => titokLoss(TINY, { ...o, adversarial }),
  });
  const init = randomWeights([...step.trainable, ...step.frozen], seed);
  const batchAt = (s: number) => {
    const b = fixedBatch();
    const half = {
      ...b,
      shape: [2, 3, 32, 32],
      data: (b.data as Float32Array).slice(s % 2 ? 0 : 6144, s % 2 ? 6144 : 12288),
    };
    return Promise.resolve({ image: half as Tensor });
  };
  return { step, gan, init, batchAt };
}

const GAN_OPTS = { ...OPTS, steps: 8, lr: 1e-3, endLr: 1e-4, warmup: 2, checkpointEvery: 2 };
const D_TERMS = ["d.hinge", "d.lecam", "d.logits_real", "d.logits_fake", "d.loss"];

Deno.test("titok GAN: plain steps before discriminator_start, then generator + discriminator steps, all logged", async () => {
  const { step, gan, init, batchAt } = ganRun(7);
  const out = mkdtempSync(join(tmpdir(), "tok1d-gan-"));
  const { state, log } = await runTraining(step, init, batchAt, {}, { ...GAN_OPTS, out, gan });
  deepStrictEqual(log.map((l) => "gan" in l.terms), [false, false, false, true, true, true, true, true]);
  for (const l of log.slice(3)) {
    for (const k of ["gan", ...D_TERMS]) {
      ok(Number.isFinite(l.terms[k]), `step ${l.step} ${k} = ${l.terms[k]}`);
    }
    // The total includes 0.1 · (−mean D(x̂)).
    const parts = l.terms.mse + l.terms.commitment + l.terms.codebook + 0.1 * l.terms.gan;
    ok(Math.abs(l.loss - parts) < 1e-5 * Math.abs(l.loss), `step ${l.step}: ${l.loss} vs ${parts}`);
    ok(Math.abs(l.terms["d.loss"] - (l.terms["d.hinge"] + 0.001 * l.terms["d.lecam"])) < 1e-6);
    ok(l.d_lr! > 0 && Number.isFinite(l.d_grad_norm));
  }
  // The discriminator's schedule restarts at the switch: its first step is warm-up step 1 of 2.
  deepStrictEqual(log[3].d_lr, 1e-4 / 2);
  ok(log.slice(0, 3).every((l) => l.d_lr === undefined && !("d.hinge" in l.terms)));
  // LeCam EMAs after 5 discriminator steps from 0: Σ 0.001·0.999^(5−k)·mean_k.
  let ema = 0;
  for (const l of log.slice(3)) ema = 0.999 * ema + 0.001 * l.terms["d.logits_real"];
  const saved = readSafetensors(join(out, "checkpoint.safetensors")).tensors;
  const got = saved.get("gan_state.ema_real_logits_mean")!.data[0] as number;
  ok(Math.abs(got - ema) < 1e-7, `ema ${got} vs ${ema}`);
  ok([...saved.keys()].some((k) => k.startsWith("d_param.discriminator.blocks.2.0.weight")));
  ok([...saved.keys()].some((k) => k.startsWith("d_adam_v.discriminator.to_logits.2.bias")));
  // The discriminator trained; the exported generator never holds its weights.
  ok(state.dParams.size === 18 && ![...state.params.keys()].some((k) => k.startsWith("discriminator.")));
});

Deno.test("titok GAN: runs stopped before and after discriminator_start resume to the uninterrupted sequence", async () => {
  const full = ganRun(8);
  const a = mkdtempSync(join(tmpdir(), "tok1d-gan-a-"));
  const whole = await runTraining(full.step, full.init, full.batchAt, {}, {
    ...GAN_OPTS,
    out: a,
    gan: full.gan,
  });
  const b = mkdtempSync(join(tmpdir(), "tok1d-gan-b-"));
  const run = (resume: boolean, stopAfter?: number) => {
    const r = ganRun(8);
    return runTraining(r.step, resume ? new Map() : r.init, r.batchAt, {}, {
      ...GAN_OPTS,
      out: b,
      gan: r.gan,
      resume,
      stopAfter,
    });
  };
  // Stops after 3 steps: the checkpoint (step 2) predates the discriminator, so step 3 switches after resuming.
  await run(false, 3);
  // 2 → 5: its checkpoint at step 4 holds the discriminator and LeCam state.
  await run(true, 3);
  const resumed = await run(true);
  const seq = (log: typeof whole.log) => log.map((l) => [l.loss, ...D_TERMS.map((k) => l.terms[k] ?? null)]);
  deepStrictEqual(seq(resumed.log), seq(whole.log));
  for (const [k, t] of whole.state.dParams) deepStrictEqual(resumed.state.dParams.get(k)!.data, t.data, k);
});

Deno.test("titok GAN: a NaN after discriminator_start stops the run and keeps the last good checkpoint", async () => {
  const { step, gan, init, batchAt } = ganRun(9);
  const out = mkdtempSync(join(tmpdir(), "tok1d-gan-nan-"));
  const poisoned = async (s: number) => {
    const b = await batchAt(s);
    if (s === 4) (b.image.data as Float32Array)[0] = NaN;
    return b;
  };
  await rejects(
    runTraining(step, init, poisoned, {}, { ...GAN_OPTS, out, gan }),
    /loss is NaN at step 5; stopped\. The last good checkpoint \(step 4\)/,
  );
  const saved = readSafetensors(join(out, "checkpoint.safetensors"));
  deepStrictEqual(saved.metadata.step, "4");
  ok(saved.tensors.has("gan_state.ema_fake_logits_mean"));
});
