/**
 * A short BDD-1D training run on BDD100K-style frames: four sample photos laid
 * out as a BDD100K root (images/100k/train + v1 labels) are converted to
 * shards by `convertBdd100k` (daytime + clear), then `bdd_1d/tiny`, started
 * from tests/testdata/bdd_1d/model.ckpt, trains a few steps: the loss falls
 * and the 768→16 projection `ln` changes; with `--upstream-bugs` (through
 * the CLI) it stays bit-equal to the checkpoint's while the rest trains.
 */
import { deepStrictEqual, ok } from "node:assert";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../cli/_test_run.ts";
import { convertBdd100k } from "../../core/data/convert_bdd100k.ts";
import type { Tensor } from "../../core/tensor.ts";
import { trainTokenizer } from "../../core/train/train.ts";
import { loadCheckpoint } from "../../core/weights/checkpoint.ts";
import { readSafetensors } from "../../core/weights/safetensors.ts";

const PHOTOS = new URL("../../tests/testdata/photos/", import.meta.url).pathname;
const CKPT = new URL("../../tests/testdata/bdd_1d/model.ckpt", import.meta.url).pathname;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const same = (a: Tensor, b: Tensor) => a.data.every((v, i) => v === b.data[i]);

async function bddShards(dir: string): Promise<string> {
  const root = join(dir, "bdd100k");
  const frames = join(root, "images", "100k", "train");
  mkdirSync(frames, { recursive: true });
  mkdirSync(join(root, "labels"), { recursive: true });
  const photos = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"];
  const names = photos.map((p, i) => `b1c66a42-00${i}.${p.split(".")[1]}`);
  photos.forEach((p, i) => copyFileSync(join(PHOTOS, p), join(frames, names[i])));
  const labels = names.map((name) => ({
    name,
    attributes: { weather: "clear", scene: "highway", timeofday: "daytime" },
  }));
  writeFileSync(join(root, "labels", "bdd100k_labels_images_train.json"), JSON.stringify(labels));
  const [train] = await convertBdd100k({
    root,
    out: join(dir, "shards"),
    mode: { kind: "resize", size: 64, quality: 95 },
    command: ["convert", "bdd100k"],
    filters: { timeofday: ["daytime"], weather: ["clear"] },
  });
  deepStrictEqual(train.manifest.counts, { input: 4, written: 4, skipped: 0 });
  return join(dir, "shards", "train", "bdd100k-train-000000.tar");
}

Deno.test("bdd_1d: a short run on converted BDD-style frames lowers the loss and trains the projection; --upstream-bugs keeps it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-bdd-train-"));
  try {
    const data = await bddShards(dir);
    const start = loadCheckpoint(CKPT).tensors.get("ln.weight")!;
    const { log, state } = await trainTokenizer({
      model: "bdd_1d/tiny",
      data,
      out: join(dir, "fixed"),
      steps: 10,
      batchSize: 2,
      lr: 3e-3,
      endLr: 3e-4,
      warmup: 0, // BDD's schedule is LambdaLR-style: with a warm-up the first update runs at rate 0
      weights: [CKPT],
      perceptual: false,
      threads: 2,
      quiet: true,
    });
    const losses = log.map((l) => l.loss);
    ok(mean(losses.slice(-3)) < 0.9 * mean(losses.slice(0, 3)), `losses ${losses}`);
    const trained = state.params.get("ln.weight")!;
    ok(trained && !same(trained, start), "ln.weight is trained");

    const out = join(dir, "upstream");
    const r = await run([
      "train",
      "--model",
      "bdd_1d/tiny",
      "--data",
      data,
      "--out",
      out,
      "--steps",
      "3",
      "--batch-size",
      "2",
      "--lr",
      "3e-3",
      "--warmup",
      "0",
      "--weights",
      CKPT,
      "--no-perceptual",
      "--threads",
      "2",
      "--upstream-bugs",
      "--json",
    ]);
    ok(r.code === 0, r.err);
    const ckpt = readSafetensors(join(out, "checkpoint.safetensors"));
    const frozen = [...ckpt.tensors].filter(([k]) => k.endsWith("ln.weight") || k.endsWith("ln.bias"));
    ok(frozen.length >= 2, `ln tensors in the checkpoint: ${frozen.map(([k]) => k)}`);
    for (const [k, t] of frozen) {
      ok(same(t, loadCheckpoint(CKPT).tensors.get(k.replace(/^.*?(ln\.)/, "$1"))!), k);
    }
    ok(JSON.parse(ckpt.metadata!.params).upstreamBugs === true);
    const qkv = [...ckpt.tensors].find(([k]) => k.endsWith("encoder.blocks.0.attn.qkv.weight"))!;
    ok(
      !same(qkv[1], loadCheckpoint(CKPT).tensors.get("encoder.blocks.0.attn.qkv.weight")!),
      "the ViT still trains",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("bdd_1d: from disc_start the adaptive-weight GAN term joins the generator loss and the discriminator trains", async () => {
  const out = mkdtempSync(join(tmpdir(), "tok1d-bdd-gan-"));
  try {
    const { log } = await trainTokenizer({
      model: "bdd_1d/tiny",
      data: PHOTOS,
      out,
      steps: 3,
      batchSize: 2,
      lr: 1e-3,
      warmup: 0, // BDD's schedule is LambdaLR-style: with a warm-up the first update runs at rate 0
      perceptual: false,
      threads: 2,
      quiet: true,
      discriminator: { start: 2 },
    });
    ok(log.slice(0, 2).every((l) => l.terms.gan === undefined), "no GAN before disc_start");
    for (const l of log.slice(2)) {
      const { gan, gan_weight, "d.hinge": hinge } = l.terms;
      ok([gan, gan_weight, hinge, l.loss].every(Number.isFinite), JSON.stringify(l.terms));
      ok(gan_weight > 0 && gan_weight <= 0.1 * 1e4, `adaptive weight × disc_weight: ${gan_weight}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
