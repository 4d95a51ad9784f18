/**
 * ALIT against upstream's own module (tests/testdata/alit: random weights at a
 * reduced size, halting draws recorded): every iteration's token ids, raw
 * latents and reconstructions, the per-batch length rule, decoding from ids,
 * per-image adaptive lengths, and loading.
 */
import { deepStrictEqual, ok, rejects } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../core/errors.ts";
import type { Tensor } from "../../core/tensor.ts";
import { loadTokenizer } from "../../core/tokenizer.ts";
import { readSafetensors, writeSafetensors } from "../../core/weights/safetensors.ts";
import { selectStateDict } from "../../core/weights/state_dict.ts";

const DIR = new URL("../../tests/testdata/alit/", import.meta.url).pathname;
const WEIGHTS = `${DIR}model.safetensors`;
const ref = readSafetensors(`${DIR}reference.safetensors`);
const get = (k: string) => ref.tensors.get(k)!;
const image = get("image");
const ITERS = 8, N = 256;

/** The recorded uniform draws as the program's `halting_u` input (B, iterations, N). */
function draws(): Tensor {
  const data = new Float32Array(ITERS * N);
  for (let i = 0; i < ITERS; i++) data.set(get(`halting.u.${i}`).data as Float32Array, i * N);
  return { dtype: "float32", shape: [1, ITERS, N], data };
}

function errors(a: Tensor, b: Tensor) {
  let max = 0, sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs((a.data[i] as number) - (b.data[i] as number));
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.data.length };
}

const open = () => loadTokenizer("alit/test_vqgan", { weights: WEIGHTS, threads: 2 });

Deno.test("alit: every iteration's ids, latents and reconstructions match upstream (recorded halting draws)", async () => {
  const tok = await open();
  const inputs = { halting_u: draws() };
  for (let k = 1; k <= ITERS; k++) {
    const r = await tok.reconstruct(image, { budget: 32 * k, inputs });
    deepStrictEqual(r.tokens.tokens.shape, [1, 1, 32 * k]);
    deepStrictEqual(
      [...r.tokens.tokens.data],
      [...get(`token_ids.${k - 1}`).data],
      `ids of iteration ${k - 1}`,
    );
    deepStrictEqual(r.tokens.lengths, [32 * k]);
    const lat = errors(r.tokens.latent!, get(`latent_tokens.${k - 1}`));
    ok(lat.max < 1e-4, `latents ${k - 1}: max ${lat.max}`);
    const rec = errors(r.images, get(`reconstruction.${k - 1}`));
    ok(rec.max < 1e-3 && rec.mean < 5e-5, `reconstruction ${k - 1}: max ${rec.max}, mean ${rec.mean}`);
    // Decoding the ids (normalised codebook rows) gives the same image.
    const dec = errors(await tok.decode(r.tokens), get(`reconstruction.${k - 1}`));
    ok(dec.max < 1e-3 && dec.mean < 5e-5, `decode ${k - 1}: max ${dec.max}, mean ${dec.mean}`);
  }
  // A budget encode ran only the iterations it needs and never a decoder.
  await tok.release();
  const fresh = await open();
  await fresh.encode(image, { budget: 64, inputs });
  deepStrictEqual(fresh.openedGraphs, ["iter_0", "iter_1"]);
  await fresh.release();
});

Deno.test("alit: halting changes later iterations; off and threshold modes are deterministic", async () => {
  const tok = await open();
  const at = async (
    halting: string,
    seedDraws?: Tensor,
  ) => [
    ...(await tok.encode(image, {
      budget: 256,
      params: { halting },
      inputs: seedDraws && { halting_u: seedDraws },
    }))
      .tokens.data,
  ];
  const sampled = await at("sample", draws());
  deepStrictEqual(sampled, [...get("token_ids.7").data]);
  const off = await at("off");
  ok(off.some((v, i) => v !== sampled[i]), "without halting the last iteration's ids differ");
  deepStrictEqual(await at("off"), off);
  deepStrictEqual(await at("threshold"), await at("threshold"));
  await tok.release();
});

Deno.test("alit --adaptive --per-batch: upstream's length rule on the recorded thresholds", async () => {
  const tok = await open();
  const meta = JSON.parse(ref.metadata.encode) as Record<string, { threshold: number; iteration: number }>;
  for (const { threshold, iteration } of Object.values(meta)) {
    const t = await tok.encodeAdaptive(image, {
      threshold,
      params: { perBatch: true },
      inputs: { halting_u: draws() },
    });
    deepStrictEqual(t.lengths, [32 * (iteration + 1)], `threshold ${threshold}`);
    const ids = [...t.tokens.data as BigInt64Array];
    deepStrictEqual(ids.slice(0, 32 * (iteration + 1)), [...get(`token_ids.${iteration}`).data]);
    ok(ids.slice(32 * (iteration + 1)).every((v) => v === -1n), "padded with −1 past the length");
  }
  await tok.release();
});

Deno.test("alit --adaptive: each image gets its own length; decided images stop early", async () => {
  const tok = await open();
  // Two images: the reference image and a flat grey one; thresholds between their first-iteration errors.
  const grey = new Float32Array(image.data.length).fill(0.5);
  const batch: Tensor = {
    dtype: "float32",
    shape: [2, 3, 64, 64],
    data: Float32Array.from([...image.data as Float32Array, ...grey]),
  };
  const first = await tok.reconstruct(batch, { budget: 32, params: { halting: "off" } });
  const l1 = [0, 1].map((i) => {
    const per = image.data.length;
    let s = 0;
    for (let j = 0; j < per; j++) {
      s += Math.abs((first.images.data[i * per + j] as number) - (batch.data[i * per + j] as number));
    }
    return s / per;
  });
  const threshold = (l1[0] + l1[1]) / 2;
  const t = await tok.encodeAdaptive(batch, { threshold, params: { halting: "off" } });
  const easy = l1[0] < l1[1] ? 0 : 1;
  deepStrictEqual(t.lengths![easy], 32, "the image under the threshold stops at 32 tokens");
  ok(t.lengths![1 - easy] > 32, "the other goes on");
  const decoded = await tok.decode(t);
  deepStrictEqual(decoded.shape, [2, 3, 64, 64]);
  await tok.release();
});

Deno.test("alit: loading — training-only modules skipped, a mis-shaped key named, EMA preferred", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-alit-"));
  const w = readSafetensors(WEIGHTS).tensors;
  const withGan = new Map(w);
  withGan.set("gan_losses.0.discriminator.main.0.weight", {
    dtype: "float32",
    shape: [2],
    data: new Float32Array(2),
  });
  writeSafetensors(join(dir, "gan.safetensors"), withGan);
  const tok = await loadTokenizer("alit/test_vqgan", { weights: join(dir, "gan.safetensors"), threads: 1 });
  await tok.release();
  const bad = new Map(w);
  bad.set("pre_quantizer_mlp.weight", { dtype: "float32", shape: [12, 47], data: new Float32Array(12 * 47) });
  writeSafetensors(join(dir, "bad.safetensors"), bad);
  await rejects(
    loadTokenizer("alit/test_vqgan", { weights: join(dir, "bad.safetensors") }),
    (e: Error) => e instanceof UsageError && /pre_quantizer_mlp\.weight/.test(e.message),
  );
  // A {"model", "ema"} training checkpoint: ALIT's preference takes `ema`; --no-ema takes `model`.
  const t = (v: number): Tensor => ({ dtype: "float32", shape: [1], data: Float32Array.of(v) });
  const ckpt = new Map<string, unknown>([["model", { w: t(1) }], ["ema", { w: t(2) }], ["epoch", 3]]);
  deepStrictEqual(selectStateDict(ckpt, { prefer: ["ema", "model"] }).tensors.get("w")!.data[0], 2);
  deepStrictEqual(selectStateDict(ckpt, { prefer: ["model", "state_dict"] }).tensors.get("w")!.data[0], 1);
});

Deno.test("alit eval: quality at every length, and the adaptive encode's histogram of chosen lengths", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-alit-eval-"));
  // Two images: the reference one and its mirror image (64 px: no resize).
  const { writePng } = await import("../../core/data/png.ts");
  const { toUint8Image } = await import("../../core/data/batch.ts");
  const img = toUint8Image(image, 0);
  await writePng(join(dir, "a.png"), img.data, 64, 64);
  const flipped = new Uint8Array(img.data.length);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      flipped.set(img.data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3), (y * 64 + 63 - x) * 3);
    }
  }
  await writePng(join(dir, "b.png"), flipped, 64, 64);
  const { run } = await import("../../cli/_test_run.ts");
  const args = [
    "eval",
    "--model",
    "alit/test_vqgan",
    "--weights",
    WEIGHTS,
    "--data",
    dir,
    "--no-fid",
    "--threads",
    "2",
  ];
  const r = await run([...args, "--adaptive", "--threshold", "1", "--halting", "off", "--json"]);
  deepStrictEqual(r.code, 0, r.err);
  const m = JSON.parse(r.out);
  deepStrictEqual(m.curve.map((p: { tokensPerImage: number }) => p.tokensPerImage), [
    32,
    64,
    96,
    128,
    160,
    192,
    224,
    256,
    32,
  ]);
  ok(m.curve.at(-1).adaptive, "the adaptive point comes last");
  // Threshold 1 (L1 in [0,1]): every image is decided at the first iteration.
  deepStrictEqual(m.metrics.tokenCountHistogram, { "32": 2 });
  deepStrictEqual(m.metrics.psnr, m.curve[0].psnr);
  ok(m.curve.every((p: { l1: number }) => p.l1 > 0 && p.l1 < 1));
  const bad = await run([...args, "--threshold", "0.1"]);
  deepStrictEqual(bad.code, 2);
  ok(/--threshold: only with --adaptive/.test(bad.err), bad.err);
});

Deno.test("alit export: every per-iteration graph and how the programs chain them", async () => {
  const { exportOnnx } = await import("../../core/export.ts");
  const tok = await open();
  const dir = mkdtempSync(join(tmpdir(), "tok1d-alit-export-"));
  exportOnnx(tok, dir);
  const m = JSON.parse(Deno.readTextFileSync(join(dir, "manifest.json")));
  deepStrictEqual(Object.keys(m.graphs).length, 2 * ITERS + 1);
  deepStrictEqual(m.programs.encode.graphs, Array.from({ length: ITERS }, (_, i) => `iter_${i}`));
  deepStrictEqual(m.programs.decode.graphs.at(-1), "pixels");
  deepStrictEqual(m.graphs.iter_1.inputs.map((v: { name: string }) => v.name), ["x_prev", "gt", "drop"]);
  await tok.release();
});

Deno.test("alit: a released-style {model, ema} .pth loads EMA by default, the raw weights with ema: false", async () => {
  // wrapped.pth: "model" = model.safetensors plus a training-only gan_losses tensor; "ema" = the same weights
  // with pre_quantizer_mlp.bias + 0.5 (tests/testdata/alit/README.md).
  const plain = await open();
  const want = (await plain.encode(image, { budget: 32, params: { halting: "off" } })).latent!;
  await plain.release();
  const raw = await loadTokenizer("alit/test_vqgan", {
    weights: `${DIR}wrapped.pth`,
    ema: false,
    threads: 1,
  });
  deepStrictEqual(
    (await raw.encode(image, { budget: 32, params: { halting: "off" } })).latent!.data,
    want.data,
    "--no-ema: the raw weights, equal to the plain file",
  );
  await raw.release();
  const ema = await loadTokenizer("alit/test_vqgan", { weights: `${DIR}wrapped.pth`, threads: 1 });
  const bias = ema.weights.get("pre_quantizer_mlp.bias")!.data as Float32Array;
  const base = readSafetensors(WEIGHTS).tensors.get("pre_quantizer_mlp.bias")!.data as Float32Array;
  ok(bias.every((v, i) => Math.abs(v - base[i] - 0.5) < 1e-6), "the EMA weights are the default");
  await ema.release();
});
