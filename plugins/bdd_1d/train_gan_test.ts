/**
 * BDD-1D's GAN against upstream's own training code (tests/testdata/bdd_1d_gan/,
 * see its README): the taming PatchGAN's hinge loss, mean logits and
 * gradients; the generator's −mean D(x̂), adaptive weight and total; and two
 * optimiser steps of both networks with accumulation 2 (discriminator
 * first, the rate 0 of LambdaLR's first step, Adam's counts from step 0) —
 * parameters after them within float32 noise of upstream's.
 */
import { deepStrictEqual, ok } from "node:assert";
import { gradients } from "../../core/autodiff/grad.ts";
import { buildTrainStep } from "../../core/autodiff/train_step.ts";
import { Graph } from "../../core/graph/graph.ts";
import { Session } from "../../core/runtime/mod.ts";
import type { Tensor } from "../../core/tensor.ts";
import { batchFeeder } from "../../core/train/feeds.ts";
import { forwardGraph } from "../../core/train/forward.ts";
import {
  buildGanRun,
  networkAdversarialTerm,
  networkDiscriminatorLoss,
  withAdversarialState,
} from "../../core/train/gan.ts";
import { runTraining } from "../../core/train/runner.ts";
import { loadCheckpoint } from "../../core/weights/checkpoint.ts";
import { readSafetensors } from "../../core/weights/safetensors.ts";
import { bdd1d, loadBdd } from "./mod.ts";
import { bddAdam, bddLoss, bddTrainable } from "./train.ts";
import { bddDiscriminator, bddGan, bddRecipe } from "./train_gan.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REF = readSafetensors(
  new URL("../../tests/testdata/bdd_1d_gan/reference.safetensors", import.meta.url).pathname,
);
const CKPT = new URL("../../tests/testdata/bdd_1d/model.ckpt", import.meta.url).pathname;
const META = REF.metadata!;
const FIRST = JSON.parse(META.first) as Record<string, number>;
const LOG = JSON.parse(META.log) as Record<string, number[]>;

/** The tiny model with the reference's loss section, grad_acc_steps 2 and an entropy decay over 10 steps. */
function config() {
  const raw = structuredClone(bdd1d.presets["tiny"]) as {
    model: {
      base_learning_rate?: number;
      params: Record<string, { params?: Record<string, unknown> } | number>;
    };
  };
  const p = raw.model.params as Record<string, { params: Record<string, unknown> }>;
  Object.assign(p.loss_config.params, JSON.parse(META.loss_config));
  p.entropy_loss_weight_scheduler_config.params.decay_steps = 10;
  (raw.model.params as Record<string, unknown>).grad_acc_steps = 2;
  raw.model.base_learning_rate = 2.5e-4; // × batch 2 × accumulate 2 = upstream's learning_rate 1e-3
  return bdd1d.schema.parse(raw);
}

const image = (i: number) => REF.tensors.get(`image.${i}`)!;
const initD = () =>
  new Map(
    [...REF.tensors].filter(([k]) => k.startsWith("init.")).map(([k, t]) =>
      [k.slice(5), t] as [string, Tensor]
    ),
  );
const relL2 = (a: Tensor, b: Tensor) => {
  let d = 0, n = 0;
  for (let i = 0; i < b.data.length; i++) {
    d += ((a.data[i] as number) - (b.data[i] as number)) ** 2;
    n += (b.data[i] as number) ** 2;
  }
  return Math.sqrt(d / n);
};
const close = (what: string, got: number, want: number, tol = 2e-5) =>
  ok(Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)), `${what}: ${got} vs upstream ${want}`);

async function run(g: Graph, weights: Map<string, Tensor>, feeds: Record<string, Tensor>) {
  const s = await Session.create(g, weights, { threads: 2 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

Deno.test("bdd_1d GAN: the PatchGAN's hinge loss and gradients, the generator's GAN term and adaptive weight equal upstream's", async () => {
  const c = config();
  const settings = bddGan(c), net = bddDiscriminator(c);
  deepStrictEqual(settings.start, 0);
  const weights = loadBdd(loadCheckpoint(CKPT).tensors, c, () => {});
  const d = initD();
  // The generator's step-0 loss with the adversarial term against the initial discriminator.
  const g = new Graph("bdd_gan_parity");
  const adversarial = networkAdversarialTerm(settings, net, 0);
  const parts = withAdversarialState(bddLoss(c, { stage: "ae", batch: 2, adversarial }))(g);
  for (const [k, v] of Object.entries(parts.terms)) g.output(v, `loss.${k}`);
  g.output(parts.total, "loss");
  g.output(parts.outputs!.reconstruction, "reconstruction");
  const feeds: Record<string, Tensor> = {
    image: image(0),
    entropy_weight: { dtype: "float32", shape: [1], data: Float32Array.of(0.1) },
    gan_weight: { dtype: "float32", shape: [], data: Float32Array.of(settings.weight) },
  };
  for (const v of g.inputs) if (!(v.name in feeds) && d.has(v.name)) feeds[v.name] = d.get(v.name)!;
  const r = await run(g, new Map([...weights, ...d]), feeds);
  close("−mean D(x̂)", Number(r["loss.gan"].data[0]), FIRST.g_loss);
  close("adaptive weight × disc_weight", Number(r["loss.gan_weight"].data[0]), FIRST.d_weight, 1e-4);
  close("L1 (nll)", Number(r["loss.l1"].data[0]), FIRST.nll);
  close("codebook loss", Number(r["loss.quantizer"].data[0]), FIRST.quant);
  close("entropy", Number(r["loss.entropy"].data[0]), FIRST.entropy);
  close("total", Number(r.loss.data[0]), FIRST.total);
  // The discriminator's loss on (x, x̂) and its gradients.
  const dg = new Graph("bdd_disc_parity");
  const dp = networkDiscriminatorLoss({ batch: 2, imageSize: 32, settings }, net, 0)(dg);
  const names = [...dg.params.keys()];
  for (const [k, v] of gradients(dg, dp.total, names)) dg.output(v, `grad.${k}`);
  for (const [k, v] of Object.entries(dp.terms)) dg.output(v, k);
  const dFeeds: Record<string, Tensor> = { image: image(0), reconstruction: r.reconstruction };
  for (const v of dg.inputs) if (!(v.name in dFeeds)) dFeeds[v.name] = d.get(v.name)!;
  const dr = await run(dg, d, dFeeds);
  close("hinge", Number(dr.hinge.data[0]), FIRST.d_loss);
  close("mean D(x)", Number(dr.logits_real.data[0]), FIRST.logits_real);
  close("mean D(x̂)", Number(dr.logits_fake.data[0]), FIRST.logits_fake);
  deepStrictEqual(names.length, 13, "5 conv weights, 2 conv biases, 3 BatchNorm pairs");
  for (const k of names) {
    const want = REF.tensors.get(`dgrad.${k}`)!;
    if (want.data.every((v) => v === 0)) {
      // The last bias: every logit inside the hinge's margin, so ½(−1 + 1) = 0 in both.
      ok(dr[`grad.${k}`].data.every((v) => Math.abs(v as number) < 1e-7), `${k}: gradient 0 upstream`);
      continue;
    }
    const err = relL2(dr[`grad.${k}`], want);
    ok(err < 1e-5, `${k}: gradient relative L2 error ${err}`);
  }
});

Deno.test("bdd_1d GAN: two optimiser steps of accumulation 2 move both networks as upstream's training_step does", async () => {
  const c = config();
  const recipe = bddRecipe(c, { batch: 2 });
  deepStrictEqual([recipe.accumulate, recipe.warmup, recipe.schedule], [2, 1, "constant"]);
  ok(Math.abs(recipe.lr! - 1e-3) < 1e-12);
  const trainable = bddTrainable(c, { params: { upstreamBugs: true } }); // upstream's optimiser misses `ln`
  const adam = bddAdam(c);
  const loss = (adversarial?: Parameters<typeof bddLoss>[1]["adversarial"]) =>
    bddLoss(c, { stage: "ae", batch: 2, adversarial });
  const step = buildTrainStep("bdd", loss(), trainable, adam, { accumulate: "final" });
  const gan = buildGanRun({
    name: "bdd",
    batch: 2,
    imageSize: 32,
    seed: 0,
    settings: bddGan(c),
    adamw: adam,
    trainable,
    accumulate: 2,
    initial: initD(),
    loss: (adversarial) => loss(adversarial),
  });
  const images = { at: (i: number) => Promise.resolve(image(i)), close: () => Promise.resolve() };
  const batchAt = batchFeeder(step, { images, seed: 0, accumulate: 2 });
  const init = loadBdd(loadCheckpoint(CKPT).tensors, c, () => {});
  const out = mkdtempSync(join(tmpdir(), "tok1d-bdd-gan-parity-"));
  try {
    const { state, log } = await runTraining(step, init, batchAt, {}, {
      out,
      steps: 2,
      lr: recipe.lr!,
      endLr: 0,
      warmup: recipe.warmup!,
      schedule: recipe.schedule,
      accumulate: 2,
      gan,
      reconstruct: () => forwardGraph("bdd_reconstruct", loss(), "reconstruction"),
      checkpointEvery: 10,
      threads: 2,
      quiet: true,
    });
    deepStrictEqual(
      log.map((l) => [l.lr, l.d_lr]),
      [[0, 0], [1e-3, 1e-3]],
      "LambdaLR: rate 0, then the peak",
    );
    // Logged values are means over each step's two micro-batches.
    const mean = (k: string, s: number) => (LOG[k][2 * s] + LOG[k][2 * s + 1]) / 2;
    log.forEach((l, s) => {
      close(`step ${s + 1} d.hinge`, l.terms["d.hinge"], mean("train/disc_loss", s), 1e-4);
      close(
        `step ${s + 1} entropy weight`,
        l.terms.entropy_weight,
        mean("train/entropy_loss_weight", s),
        1e-6,
      );
      close(`step ${s + 1} gan`, l.terms.gan, mean("train/g_loss", s), 1e-4);
      close(`step ${s + 1} loss`, l.loss, mean("train/aeloss", s), 1e-4);
    });
    // Upstream's own float32 noise per tensor: its float32 updates against the same run in float64.
    const noise = JSON.parse(META.float32_noise) as Record<string, number>;
    const after = [...REF.tensors].filter(([k]) => k.startsWith("after."));
    ok(after.length > 20);
    for (const [key, want] of after) {
      const k = key.slice(6);
      const got = k.startsWith("loss.discriminator.")
        ? state.dParams.get(k)
        : state.params.get(k) ?? state.frozen.get(k);
      ok(got, `${k} is in the run's state`);
      const start = k.startsWith("loss.") ? initD().get(k)! : init.get(k)!;
      // Compare the updates (the change from the start), which the check should resolve.
      const moved = {
        ...want,
        data: (want.data as Float32Array).map((v, i) => v - (start.data[i] as number)),
      };
      const ours = { ...got, data: (got.data as Float32Array).map((v, i) => v - (start.data[i] as number)) };
      const norm = Math.hypot(...(moved.data as Float32Array));
      if (norm === 0) {
        ok(ours.data.every((v) => v === 0), `${k} does not move upstream`);
        continue;
      }
      const err = relL2(ours, moved);
      const tol = Math.max(3 * (noise[k] ?? 0), 1e-4);
      ok(err < tol, `${k}: update relative L2 error ${err} (upstream's float32 noise ${noise[k]})`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
