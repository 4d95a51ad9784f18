/**
 * BDD-1D parity with upstream: outputs of sejal-0502/1d-tokenizer run on
 * random weights (tests/testdata/bdd_1d/README.md) — token ids, code vectors,
 * reconstructions, decoding from ids, codebook usage as its
 * tools/compute_codebook_usage.py counts it — plus configs, presets, loading
 * of the Lightning checkpoint and of an HF-style folder, and the CLI.
 */
import { deepStrictEqual, ok, throws } from "node:assert";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { run, tmp } from "../../cli/_test_run.ts";
import { parseConfig, readConfigFile, setConfigPolicy } from "../../core/config.ts";
import { toUint8Image } from "../../core/data/batch.ts";
import { readNpy } from "../../core/data/npy.ts";
import { writePng } from "../../core/data/png.ts";
import { UsageError } from "../../core/errors.ts";
import { CodebookUsage } from "../../core/metrics/codebook.ts";
import { resolveModel } from "../../core/resolve.ts";
import type { Tensor } from "../../core/tensor.ts";
import { buildGraphs, loadTokenizer } from "../../core/tokenizer.ts";
import { loadCheckpoint } from "../../core/weights/checkpoint.ts";
import { writeSafetensors } from "../../core/weights/safetensors.ts";
import { bddSchema } from "./config.ts";
import { bdd1d, loadBdd } from "./mod.ts";
import { absErrors, near } from "../../core/nn/_parity.ts";

const DATA = new URL("../../tests/testdata/bdd_1d/", import.meta.url).pathname;
const PHOTOS = new URL("../../tests/testdata/photos/", import.meta.url).pathname;
const CONFIG = `${DATA}config.yaml`, CKPT = `${DATA}model.ckpt`;
const fixture = (file: string) => readNpy(`${DATA}${file}`);
const usage = JSON.parse(readFileSync(`${DATA}usage.json`, "utf8"));

/** Upstream's [−1,1] output as tok1d returns it: (x+1)/2. */
function toUnit(t: Tensor): Tensor {
  return { ...t, data: Float32Array.from(t.data as Float32Array, (v) => (v + 1) / 2) };
}

Deno.test("bdd_1d: token ids, codes and reconstructions match upstream (config.yaml + Lightning .ckpt)", async () => {
  const tok = await loadTokenizer(CONFIG, { weights: CKPT, threads: 2 });
  try {
    const x = fixture("input.npy");
    const enc = await tok.encode(x);
    deepStrictEqual(enc.tokens.dtype, "int64");
    deepStrictEqual(enc.tokens.shape, [4, 1, 8]);
    deepStrictEqual([...enc.tokens.data], [...fixture("indices.npy").data], "token ids");
    // Upstream returns the ids flat (B·K) in the same order.
    deepStrictEqual([...enc.tokens.data], [...fixture("indices_flat.npy").data], "flat order");
    near(enc.latent!, fixture("z_quantized.npy"), 1e-4, "z_quantized");
    near(await tok.decodeLatent(enc.latent!), toUnit(fixture("decoded.npy")), 1e-4, "decoded");
    const fromIds = await tok.decode(enc.tokens);
    near(fromIds, toUnit(fixture("decoded_from_tokens.npy")), 1e-4, "decode from ids (normalised codebook)");
    // Upstream's decode_code on a freshly loaded model reads the raw, un-normalised rows: a documented difference.
    ok(absErrors(fromIds, toUnit(fixture("decode_code_fresh.npy"))).max > 1e-2, "raw-row decode differs");
    const r = await tok.reconstruct(x);
    near(r.images, toUnit(fixture("decoded.npy")), 1e-4, "reconstruct");
  } finally {
    await tok.release();
  }
});

Deno.test("bdd_1d: codebook usage equals tools/compute_codebook_usage.py on the same images", async () => {
  const tok = await loadTokenizer(CONFIG, { weights: CKPT, threads: 2 });
  const u = new CodebookUsage(tok.info.vocabulary!);
  u.add((await tok.encode(fixture("input.npy"))).tokens);
  await tok.release();
  deepStrictEqual([...u.counts], usage.histogram);
  deepStrictEqual(u.result().usagePercent, usage.usage_percent);
});

Deno.test("bdd_1d load: training-only keys are skipped with a note; the codebook rows come out unit-length", () => {
  const ckpt = loadCheckpoint(CKPT);
  ok(ckpt.tensors.has("loss.discriminator.main.0.weight") && ckpt.tensors.has("post_quant_conv.weight"));
  const config = parseConfig(bddSchema, readConfigFile(CONFIG), CONFIG);
  const notes: string[] = [];
  const w = loadBdd(ckpt.tensors, config, (m) => notes.push(m));
  deepStrictEqual(notes.length, 1);
  for (const rule of ["loss.* (10)", "post_quant_conv.* (2)", "latent_tokens (1)", "encoder.head.* (2)"]) {
    ok(notes[0].includes(rule), `${rule} in ${notes[0]}`);
  }
  ok(
    ![...w.keys()].some((k) =>
      k.startsWith("loss.") || k.startsWith("post_quant_conv") || k === "latent_tokens"
    ),
  );
  const book = w.get("quantize.embedding.weight")!, raw = ckpt.tensors.get("quantize.embedding.weight")!;
  const norm = (t: Tensor, r: number) =>
    Math.hypot(...(t.data as Float32Array).subarray(r * 16, r * 16 + 16));
  for (let r = 0; r < 64; r++) ok(Math.abs(norm(book, r) - 1) < 1e-6, `row ${r}`);
  ok(Math.abs(norm(raw, 0) - 1) > 1e-3, "the fixture's raw rows are not unit-length");
});

Deno.test("bdd_1d: an HF-style folder (config.yaml + model.safetensors) gives the same tokens", async () => {
  const dir = tmp();
  copyFileSync(CONFIG, join(dir, "config.yaml"));
  writeSafetensors(join(dir, "model.safetensors"), loadCheckpoint(CKPT).tensors);
  const tok = await loadTokenizer(dir, { threads: 1 });
  deepStrictEqual([...(await tok.encode(fixture("input.npy"))).tokens.data], [
    ...fixture("indices.npy").data,
  ]);
  await tok.release();
});

Deno.test("bdd_1d config: upstream's vqgan_baseline.yaml parses unchanged; presets k16…k256 have upstream's sizes", () => {
  // Upstream's file byte for byte (tests/testdata/bdd_1d/vqgan_baseline.yaml), data section and all:
  // every key is known (no warning, and --strict-config accepts it).
  const warnings: string[] = [];
  setConfigPolicy({ warn: (m) => warnings.push(m), strict: true });
  let upstreamFile;
  try {
    upstreamFile = resolveModel(`${DATA}vqgan_baseline.yaml`);
    for (const k of [16, 32, 64, 128, 256]) resolveModel(`bdd_1d/k${k}`);
    resolveModel(`${DATA}scratch/config.yaml`);
    resolveModel(CONFIG);
  } finally {
    setConfigPolicy();
  }
  deepStrictEqual(warnings, []);
  deepStrictEqual(upstreamFile.plugin.name, "bdd_1d");
  const k64 = readConfigFile(new URL("../../configs/bdd_1d/k64.yaml", import.meta.url).pathname);
  deepStrictEqual(
    (upstreamFile.config as { model: { params: unknown } }).model.params,
    (bdd1d.schema.parse(k64) as { model: { params: unknown } }).model.params,
  );
  const resolved = resolveModel(new URL("../../configs/bdd_1d/k64.yaml", import.meta.url).pathname);
  deepStrictEqual(resolved.plugin.name, "bdd_1d");
  ok(parseConfig(bddSchema, k64, "k64.yaml"));
  // Inference parameters of upstream's module (encoder incl. prompt tokens, ln, quantize, decoder), built by its code.
  const upstream: Record<string, number> = { k16: 130_980_499, k64: 131_091_091, k256: 131_533_459 };
  for (const [name, k] of [["k16", 16], ["k32", 32], ["k64", 64], ["k128", 128], ["k256", 256]] as const) {
    const c = bdd1d.schema.parse(bdd1d.presets[name]);
    const info = bdd1d.info(c, name);
    deepStrictEqual([info.tokenShape, info.vocabulary, info.imageSize, info.inputRange], [[1, k], 4096, 256, [
      -1,
      1,
    ]]);
    if (!(name in upstream)) continue;
    const params = new Map<string, number>();
    for (const g of Object.values(buildGraphs(bdd1d, c))) {
      for (const p of g.params.values()) params.set(p.name, p.shape.reduce((a, b) => a * b, 1));
    }
    deepStrictEqual([...params.values()].reduce((a, b) => a + b, 0), upstream[name], name);
  }
});

Deno.test("bdd_1d config: inconsistent values name the key path", () => {
  const raw = structuredClone(bdd1d.presets["tiny"]) as {
    model: { params: { decoder_config: { params: Record<string, unknown> } } };
  };
  raw.model.params.decoder_config.params.token_size = 12;
  throws(() => parseConfig(bddSchema, raw, "x.yaml"), (e: Error) => {
    ok(e instanceof UsageError);
    ok(e.message.includes("model.params.decoder_config.params.token_size"), e.message);
    return true;
  });
  const heads = structuredClone(bdd1d.presets["tiny"]) as {
    model: { params: { encoder_config: { params: Record<string, unknown> } } };
  };
  heads.model.params.encoder_config.params.heads = 3;
  throws(() => parseConfig(bddSchema, heads, "x.yaml"), /encoder_config\.params\.heads/);
});

Deno.test("bdd_1d cli: encode → decode --npy is (x+1)/2 of upstream; eval reports upstream's codebook usage", async () => {
  const dir = tmp();
  const photos = join(dir, "photos");
  mkdirSync(photos);
  for (const n of usage.images as string[]) copyFileSync(join(PHOTOS, n), join(photos, n.replace("/", "_")));
  // encode reads images at the model's size unchanged: the fixture's centre crops, as PNGs.
  const x = fixture("input.npy");
  const crops = [0, 1, 2, 3].map((i) => join(dir, `crop${i}.png`));
  for (let i = 0; i < 4; i++) {
    const img = toUint8Image(x, i);
    await writePng(crops[i], img.data, img.width, img.height);
  }
  const model = ["--model", CONFIG, "--weights", CKPT, "--threads", "1"];
  const enc = await run(["encode", ...model, "--out", join(dir, "enc"), ...crops]);
  deepStrictEqual(enc.code, 0, enc.err);
  ok(enc.err.includes("skipped training-only checkpoint keys"), enc.err);
  const tokens = readNpy(join(dir, "enc", "tokens.npy"));
  deepStrictEqual(tokens.shape, [4, 1, 8]);
  deepStrictEqual([...tokens.data], [...fixture("indices.npy").data]);
  const dec = await run([
    "decode",
    ...model,
    "--tokens",
    join(dir, "enc", "tokens.npy"),
    "--out",
    join(dir, "dec"),
    "--npy",
  ]);
  deepStrictEqual(dec.code, 0, dec.err);
  near(
    readNpy(join(dir, "dec", "images.npy")),
    toUnit(fixture("decoded_from_tokens.npy")),
    1e-4,
    "images.npy",
  );
  // eval follows the family's protocol: a centre crop of each full-size photo, as upstream's dataset.
  const ev = await run(["eval", ...model, "--data", photos, "--no-fid", "--json"]);
  deepStrictEqual(ev.code, 0, ev.err);
  const m = JSON.parse(ev.out).metrics;
  deepStrictEqual(m.codebook.usagePercent, usage.usage_percent);
  ok(Number.isFinite(m.codebook.entropyBits) && Number.isFinite(m.codebook.perplexity));
});

Deno.test("bdd_1d scratch encoder (pretrained: false, EncoderVIT): ids, codes and reconstructions match upstream", async () => {
  // The fixture shares the main fixture's decoder and codebook; its own file holds only encoder.* (upstream's names).
  const tensors = new Map([...loadCheckpoint(CKPT).tensors].filter(([k]) => !k.startsWith("encoder.")));
  for (const [k, t] of loadCheckpoint(`${DATA}scratch/encoder.pt`).tensors) tensors.set(k, t);
  const dir = tmp();
  copyFileSync(`${DATA}scratch/config.yaml`, join(dir, "config.yaml"));
  writeSafetensors(join(dir, "model.safetensors"), tensors);
  const tok = await loadTokenizer(dir, { threads: 2 });
  try {
    const enc = await tok.encode(fixture("input.npy"));
    deepStrictEqual([...enc.tokens.data], [...fixture("scratch/indices.npy").data], "token ids");
    near(enc.latent!, fixture("scratch/z_quantized.npy"), 1e-4, "z_quantized");
    near(await tok.decodeLatent(enc.latent!), toUnit(fixture("scratch/decoded.npy")), 1e-4, "decoded");
  } finally {
    await tok.release();
  }
});
