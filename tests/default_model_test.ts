/**
 * The embedded default model: it loads as `default` with discrete tokens, the
 * held-out figures of its model card (weights/default/card.json) reproduce —
 * PSNR within 0.05 dB, codebook usage exactly — and the held-out photos are
 * not in its training list (neither the files nor the Debian packages they
 * come from, which prepare_data.sh never fetches).
 */
import { deepStrictEqual, ok } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { evaluateDefault, heldoutFiles } from "../weights/default/evaluate.ts";
import { loadTokenizer } from "../core/tokenizer.ts";

const CARD = new URL("../weights/default/card.json", import.meta.url).pathname;
const PREPARE = new URL("../weights/default/prepare_data.sh", import.meta.url).pathname;
const WEIGHTS = new URL("../weights/default/model.safetensors", import.meta.url).pathname;
const card = JSON.parse(readFileSync(CARD, "utf8"));

Deno.test({
  name: "default model: the card's held-out PSNR and codebook usage reproduce",
  ignore: !existsSync(WEIGHTS),
  fn: async () => {
    const got = await evaluateDefault();
    const want = card.heldout;
    for (const k of ["model", "mean_colour", "downsample_8x8_upsample"] as const) {
      ok(Math.abs(got[k] - want.psnr_db[k]) < 0.05, `${k}: ${got[k]} dB, card says ${want.psnr_db[k]}`);
    }
    deepStrictEqual(got.images, want.images);
    deepStrictEqual(got.codebook_usage, want.codebook_usage);
  },
});

/** The packages `apt-get download` fetches in prepare_data.sh. */
function preparedPackages(): string[] {
  const script = readFileSync(PREPARE, "utf8").replace(/\\\n/g, " ");
  const line = script.split("\n").find((l) => l.includes("apt-get download"))!;
  return line.split("apt-get download")[1].split(/[>)]/)[0].trim().split(/\s+/);
}

Deno.test("default model: held-out photos are not in the training list, nor their packages", () => {
  const training: { file: string; package: string }[] = card.training_data;
  const heldout: { file: string; package: string }[] = card.heldout.photos;
  // The card lists exactly the held-out folder.
  deepStrictEqual(heldout.map((h) => h.file).sort(), heldoutFiles().map((f) => basename(f)).sort());
  const trainingPackages = new Set(training.map((t) => t.package));
  deepStrictEqual([...trainingPackages].sort(), preparedPackages().sort());
  for (const h of heldout) {
    ok(!trainingPackages.has(h.package), `${h.file}: its package ${h.package} is a training source`);
  }
  const stem = (f: string) => basename(f).replace(/\.\w+$/, "").toLowerCase();
  const trained = new Set(training.map((t) => stem(t.file)));
  for (const h of heldout) ok(!trained.has(stem(h.file)), `${h.file} is in the training list`);
  ok(training.length >= 20, `${training.length} training photos`);
});

Deno.test({
  name: "default model: loads as 'default' with real weights and discrete token ids",
  ignore: !existsSync(WEIGHTS),
  fn: async () => {
    const tok = await loadTokenizer("default", { threads: 1 });
    deepStrictEqual(tok.randomWeights, false);
    deepStrictEqual(tok.info.imageSize, 64);
    deepStrictEqual(tok.info.tokenDtype, "int64");
    deepStrictEqual(tok.info.tokenShape, [1, card.tokens]);
    deepStrictEqual(tok.info.vocabulary, card.vocabulary);
    await tok.release();
  },
});
