/**
 * MARVEL training: the stage-1 loss terms and every parameter gradient equal
 * PyTorch autograd on an independent implementation
 * (tests/testdata/marvel_train), the stage-2 loss on MDQ's weights is the MSE
 * of MDQ's own reconstruction, both stages lower the loss on a fixed batch,
 * the trainable sets are the stage's, and a TiTok-layout checkpoint
 * initialises stage 1 through `tok1d train --weights`.
 */
import { deepStrictEqual, ok, throws } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trainCommand, type TrainFlags } from "../../cli/train.ts";
import { gradients } from "../../core/autodiff/grad.ts";
import { TITOK_ADAMW } from "../../core/autodiff/optimizer.ts";
import { buildTrainStep } from "../../core/autodiff/train_step.ts";
import { parseConfig, readConfigFile } from "../../core/config.ts";
import { readNpy } from "../../core/data/npy.ts";
import { buildGraphs } from "../../core/tokenizer.ts";
import { UsageError } from "../../core/errors.ts";
import { Graph, type Value } from "../../core/graph/graph.ts";
import { reduceMean } from "../../core/ops/mod.ts";
import { randomWeights } from "../../core/init.ts";
import { Session } from "../../core/runtime/mod.ts";
import type { Tensor } from "../../core/tensor.ts";
import { runTraining } from "../../core/train/runner.ts";
import { readSafetensors, writeSafetensors } from "../../core/weights/safetensors.ts";
import { readTorchCheckpoint } from "../../core/weights/torch_zip.ts";
import { PARITY_DIR, PARITY_INPUT, parityConfig, parityWeights, stage1Params } from "./_train_fixture.ts";
import { marvelSchema } from "./config.ts";
import { loadMarvel, marvel } from "./mod.ts";
import { marvelLoss, type MarvelStage, marvelTrainable } from "./train.ts";

const MARVEL_DATA = new URL("../../tests/testdata/marvel/", import.meta.url).pathname;
const PHOTOS = new URL("../../tests/testdata/photos", import.meta.url).pathname;
const preset = (name: string) => marvel.schema.parse(marvel.presets[name]);
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** Runs the stage-1 loss of `cfg` on the parity weights; `withGrads` adds every trainable gradient. */
async function runStage1(cfg: ReturnType<typeof parityConfig>, withGrads: boolean) {
  const o = { stage: "stage1" as const, batch: 2 };
  const g = new Graph("marvel_stage1_parity");
  const { terms, total } = marvelLoss(cfg, o)(g);
  const names = [...g.params.keys()].filter(marvelTrainable(cfg, o));
  const grads = withGrads ? gradients(g, total, names) : new Map();
  g.output(total, "loss");
  for (const [k, v] of Object.entries(terms)) g.output(v, `loss.${k}`);
  for (const [n, v] of grads) g.output(v, `grad.${n}`);
  const s = await Session.create(g, parityWeights([...g.params.values()]), { threads: 2 });
  try {
    return { names, out: await s.run({ image: readNpy(PARITY_INPUT) }) };
  } finally {
    await s.release();
  }
}

Deno.test("marvel stage 1: CE, entropy, commitment and every gradient match autograd of an independent torch port", async () => {
  const want = JSON.parse(readFileSync(join(PARITY_DIR, "loss.json"), "utf8"));
  const { names, out } = await runStage1(parityConfig(), true);
  ok(relErr(Number(out.loss.data[0]), want.loss) < 1e-5, `loss ${out.loss.data[0]} vs ${want.loss}`);
  for (const [term, value] of Object.entries(want.terms as Record<string, number>)) {
    const got = Number(out[`loss.${term}`].data[0]);
    ok(relErr(got, value) < 1e-4, `${term}: ${got} vs ${value}`);
  }
  const ref = readSafetensors(join(PARITY_DIR, "grads.safetensors")).tensors;
  deepStrictEqual([...names].sort(), [...ref.keys()].sort(), "the same parameters receive gradients");
  deepStrictEqual(names.length, 74);
  let worst = 0;
  for (const n of names) {
    const a = out[`grad.${n}`].data as Float32Array;
    const b = ref.get(n)!.data as Float32Array;
    let diff = 0, norm = 0;
    for (let i = 0; i < b.length; i++) {
      diff += (a[i] - b[i]) ** 2;
      norm += b[i] ** 2;
    }
    ok(norm > 0, `${n}: the reference gradient is not zero`);
    worst = Math.max(worst, Math.sqrt(diff / norm));
    ok(Math.sqrt(diff / norm) < 1e-4, `${n}: relative L2 error ${Math.sqrt(diff / norm)}`);
  }
  console.log(`worst per-tensor relative L2 gradient error ${worst.toExponential(2)}`);
});

Deno.test("marvel stage 1: loss terms at MDQ's entropy settings (τ 0.01, weight 0.02) match the torch port", async () => {
  const want = JSON.parse(readFileSync(join(PARITY_DIR, "loss.json"), "utf8")).upstream_settings_terms;
  const raw = readConfigFile(join(PARITY_DIR, "config.yaml")) as {
    model: { vq_model: Record<string, unknown> };
  };
  raw.model.vq_model.entropy_loss_temperature = 0.01;
  raw.model.vq_model.entropy_loss_weight = 0.02;
  const { out } = await runStage1(parseConfig(marvelSchema, raw, "parity config"), false);
  for (const [term, value] of Object.entries(want as Record<string, number>)) {
    const got = Number(out[`loss.${term}`].data[0]);
    ok(relErr(got, value) < 1e-4, `${term}: ${got} vs ${value}`);
  }
});

Deno.test("marvel stage 2: on MDQ's weights the MSE is that of MDQ's reconstruction; perceptual and GAN terms add with their weights", async () => {
  const cfg = parseConfig(marvelSchema, readConfigFile(`${MARVEL_DATA}d4/config.yaml`), "d4/config.yaml");
  // Stand-ins for the trainer's image terms: any differentiable function of (real, fake) will do here.
  const meanOf = (g: Graph, v: Value) => reduceMean(g, v, [0, 1, 2, 3], false);
  const perceptual = { weight: 0.1, build: (g: Graph, _real: Value, fake: Value) => meanOf(g, fake) };
  const adversarial = { weight: 0.01, build: (g: Graph, real: Value, _fake: Value) => meanOf(g, real) };
  const g = new Graph("marvel_stage2");
  const parts = marvelLoss(cfg, { stage: "stage2", batch: 2, perceptual, adversarial })(g);
  deepStrictEqual(Object.keys(parts.terms), ["mse", "perceptual", "gan"]);
  g.output(parts.total, "loss");
  for (const [k, v] of Object.entries(parts.terms)) g.output(v, k);
  g.output(parts.outputs!.reconstruction, "reconstruction");
  const weights = loadMarvel(readTorchCheckpoint(`${MARVEL_DATA}pytorch_model.bin`).tensors, cfg);
  const s = await Session.create(g, weights, { threads: 2 });
  const x = readNpy(`${MARVEL_DATA}input.npy`);
  const r = await s.run({ image: x });
  await s.release();
  const rec = readNpy(`${MARVEL_DATA}d4/decoded.npy`).data as Float32Array;
  const xs = x.data as Float32Array;
  let mse = 0, maxDiff = 0;
  for (let i = 0; i < xs.length; i++) {
    mse += (rec[i] - xs[i]) ** 2 / xs.length;
    maxDiff = Math.max(maxDiff, Math.abs((r.reconstruction.data as Float32Array)[i] - rec[i]));
  }
  ok(maxDiff < 1e-4, `reconstruction vs MDQ: max |diff| ${maxDiff}`);
  const [loss, m, p, gan] = ["loss", "mse", "perceptual", "gan"].map((k) => Number(r[k].data[0]));
  ok(relErr(m, mse) < 1e-4, `mse ${m} vs MDQ's reconstruction MSE ${mse}`);
  ok(relErr(loss, m + 0.1 * p + 0.01 * gan) < 1e-6, `total ${loss} = mse + 0.1·perceptual + 0.01·gan`);
  ok(relErr(gan, xs.reduce((a, v) => a + v, 0) / xs.length) < 1e-5, "the GAN stand-in saw the real image");
});

function stepOf(name: string, stage: MarvelStage, batch: number) {
  const cfg = preset(name);
  const o = { stage, batch };
  return buildTrainStep(`marvel_${stage}`, marvelLoss(cfg, o), marvelTrainable(cfg, o), TITOK_ADAMW);
}

const names = (ps: { name: string }[]) => ps.map((p) => p.name);
const prefixes = (ps: { name: string }[]) => [...new Set(ps.map((p) => p.name.split(".")[0]))].sort();

Deno.test("marvel trainable sets: stage 2 trains decoder and pixel_* only; stage 1 all but the teacher", () => {
  const s2 = stepOf("tiny", "stage2", 2);
  deepStrictEqual(prefixes(s2.trainable), ["decoder", "pixel_decoder", "pixel_quantize"]);
  deepStrictEqual(prefixes(s2.frozen), ["encoder", "latent_tokens"]);
  deepStrictEqual([s2.trainable.length, s2.frozen.length], [112, 36]);
  const s1 = stepOf("tiny_f16", "stage1", 2);
  deepStrictEqual(prefixes(s1.trainable), ["decoder", "encoder", "latent_tokens"]);
  deepStrictEqual(prefixes(s1.frozen), ["teacher"]);
  // Stage 1 has the logit head only, even for a config with finetune_decoder true.
  ok(!names([...s1.trainable, ...s1.frozen]).some((n) => n.startsWith("pixel_")));
  deepStrictEqual(s1.terms, ["ce", "entropy", "commitment", "per_sample_entropy", "avg_entropy"]);
});

Deno.test("marvel stage 1 of L-32×2: a TiTok-L-32 state dict fills every parameter; only the VQ codebook and pixel_* are left", () => {
  const cfg = preset("l32x2");
  const inference = buildGraphs(marvel, cfg);
  const params = new Map(
    [inference.encoder, inference.decoder].flatMap((g) => [...g.params.values()]).map((
      p,
    ) => [p.name, p.shape]),
  );
  // TiTok-L-32's keys: MARVEL's inference parameters plus the VQ codebook (marvel_test checks this against TiTok).
  const titokL32 = new Map([...params, ["quantize.embedding.weight", [4096, 12]]]);
  const stage1 = new Map(
    stage1Params(cfg, 1).filter((p) => !p.name.startsWith("teacher.")).map((p) => [p.name, p.shape]),
  );
  for (const [k, shape] of stage1) deepStrictEqual(titokL32.get(k), shape, k);
  const skipped = [...titokL32.keys()].filter((k) => !stage1.has(k));
  ok(
    skipped.every((k) => k === "quantize.embedding.weight" || /^pixel_(quantize|decoder)\./.test(k)),
    `${skipped}`,
  );
  deepStrictEqual(skipped.filter((k) => k.startsWith("pixel_decoder.")).length, 88);
  deepStrictEqual(skipped.length, 90);
});

Deno.test("marvel stage 1 refuses a decoder grid that is not the f16 teacher's, naming the key", () => {
  throws(
    () => marvelLoss(preset("tiny"), { stage: "stage1", batch: 1 }),
    (e: Error) => e instanceof UsageError && /vit_dec_patch_size 8/.test(e.message),
  );
});

/** input.npy (2 images) and their negatives: a fixed batch of 4. */
function fixedBatch(): Tensor {
  const x = readNpy(PARITY_INPUT).data as Float32Array;
  const data = new Float32Array(2 * x.length);
  data.set(x);
  data.set(x.map((v) => 1 - v), x.length);
  return { dtype: "float32", shape: [4, 3, 32, 32], data };
}

const OPTS = { steps: 30, lr: 2e-3, endLr: 2e-4, warmup: 3, checkpointEvery: 30, threads: 2, quiet: true };

async function trainFixed(preset: string, stage: MarvelStage) {
  const step = stepOf(preset, stage, 4);
  const init = randomWeights([...step.trainable, ...step.frozen], 3);
  const batch = fixedBatch();
  const out = mkdtempSync(join(tmpdir(), `tok1d-marvel-${stage}-`));
  const { log } = await runTraining(step, init, () => Promise.resolve({ image: batch }), {}, {
    ...OPTS,
    out,
  }).finally(() => rmSync(out, { recursive: true, force: true }));
  deepStrictEqual(log.length, OPTS.steps);
  console.log(
    `${preset} ${stage}: loss ${log[0].loss.toFixed(4)} → ${log[log.length - 1].loss.toFixed(4)}`,
    log.at(-1)!.terms,
  );
  ok(log.every((l) => Number.isFinite(l.loss) && Number.isFinite(l.grad_norm)));
  return log;
}

Deno.test("marvel train stage 1: the proxy-code loss falls by more than half in 30 steps (random tiny-ViT, random teacher)", async () => {
  const log = await trainFixed("tiny_f16", "stage1");
  const [first, last] = [log[0], log[log.length - 1]];
  ok(last.loss < 0.5 * first.loss, `loss ${first.loss} → ${last.loss}`);
  ok(last.terms.ce < 0.5 * first.terms.ce, `ce ${first.terms.ce} → ${last.terms.ce}`);
});

Deno.test("marvel train stage 2: the pixel MSE falls by more than half in 30 steps", async () => {
  const log = await trainFixed("tiny", "stage2");
  const [first, last] = [log[0], log[log.length - 1]];
  ok(last.loss < 0.5 * first.loss, `loss ${first.loss} → ${last.loss}`);
});

/** `tok1d train` in-process, quietly; returns the run folder's exported model tensors. */
async function cliTrain(flags: Partial<TrainFlags>) {
  const out = mkdtempSync(join(tmpdir(), "tok1d-marvel-cli-"));
  const print = console.log;
  console.log = () => {};
  try {
    const log = await trainCommand({
      model: "marvel/tiny_f16",
      data: PHOTOS,
      out,
      steps: "2",
      batchSize: "2",
      lr: "0",
      endLr: "0",
      warmup: "0",
      seed: "0",
      checkpointEvery: "2",
      perceptual: false,
      device: "cpu",
      threads: "2",
      json: true,
      ...flags,
    });
    return { log, tensors: readSafetensors(join(out, "model", "model.safetensors")).tensors };
  } finally {
    console.log = print;
    rmSync(out, { recursive: true, force: true });
  }
}

Deno.test("tok1d train marvel: stage 1 from a TiTok-layout checkpoint + teacher, then stage 2 from its export", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-marvel-init-"));
  try {
    await stage1ThenStage2(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true }); // the random teacher file is 97 MB
  }
});

async function stage1ThenStage2(dir: string) {
  const cfg = preset("tiny_f16");
  // The teacher file in MaskGIT-VQGAN's own layout (no "teacher." prefix).
  const teacher = stage1Params(cfg, 2).filter((p) => p.name.startsWith("teacher."));
  const teacherFile = join(dir, "maskgit.safetensors");
  writeSafetensors(
    teacherFile,
    new Map([...randomWeights(teacher, 5)].map(([k, t]) => [k.slice("teacher.".length), t])),
  );
  // A TiTok-layout state dict: MARVEL's inference parameters plus the VQ codebook.
  const g = buildGraphs(marvel, cfg);
  const specs = new Map(
    [g.encoder, g.decoder].flatMap((x) => [...x.params.values()]).map((p) => [p.name, p]),
  );
  specs.set("quantize.embedding.weight", {
    name: "quantize.embedding.weight",
    shape: [4096, 12],
    dtype: "float32",
  });
  const titokWeights = randomWeights(specs.values(), 6);
  const titokFile = join(dir, "titok.safetensors");
  writeSafetensors(titokFile, titokWeights);

  // lr 0: the exported EMA is the initial weights (up to the EMA update's float32 rounding).
  const s1 = (await cliTrain({ stage: "stage1", weights: [titokFile], teacher: teacherFile })).tensors;
  const skipped = [...titokWeights.keys()].filter((k) => !s1.has(k));
  ok(
    skipped.every((k) => k === "quantize.embedding.weight" || /^pixel_(quantize|decoder)\./.test(k)),
    `${skipped}`,
  );
  ok(skipped.includes("quantize.embedding.weight"));
  ok(![...s1.keys()].some((k) => k.startsWith("teacher.")), "the teacher is not exported");
  for (const [k, t] of s1) {
    const want = titokWeights.get(k)!.data as Float32Array;
    ok((t.data as Float32Array).every((v, i) => Math.abs(v - want[i]) <= 1e-6), `${k} loaded from --weights`);
  }

  const stage1File = join(dir, "stage1.safetensors");
  writeSafetensors(stage1File, s1);
  // MDQ's stage 2: the stage-1 weights plus TiTok's pixel decoder (`pixel_*` only), GAN from step 1 (of 0, 1):
  // the discriminator step runs on MARVEL's reconstruction.
  const run2 = await cliTrain({
    stage: "stage2",
    weights: [stage1File, `${titokFile}@pixel_`],
    lr: "1e-3",
    warmup: "1",
    discriminatorStart: "1",
  });
  const [before, after] = run2.log;
  deepStrictEqual([Object.keys(before.terms), after.step], [["mse"], 2]);
  ok(Number.isFinite(after.terms["d.loss"]), "the discriminator stepped");
  ok(relErr(after.loss, after.terms.mse + 0.01 * after.terms.gan) < 1e-5, "stage 2 total = mse + 0.01·gan");
  const s2 = run2.tensors;
  for (const [k, t] of s1) {
    const same = (s2.get(k)!.data as Float32Array).every((v, i) => v === (t.data as Float32Array)[i]);
    ok(same === !k.startsWith("decoder."), `${k}: ${same ? "unchanged" : "changed"} in stage 2`);
  }
  ok([...s2.keys()].some((k) => k.startsWith("pixel_decoder.")));
}
