/**
 * The CLI commands that use a tokenizer: encode, decode, reconstruct,
 * export, info, list and demo. Each reads flags, calls the library and
 * writes files atomically.
 * @module
 */
import { readdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../core/errors.ts";
import { exportOnnx } from "../core/export.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { loadImages, toUint8Image } from "../core/data/batch.ts";
import { gridRows } from "../core/data/png.ts";
import { writePng } from "../core/data/png.ts";
import { writeNpy } from "../core/data/npy.ts";
import { listPresets } from "../core/resolve.ts";
import { psnr } from "../core/metrics/psnr.ts";
import type { Tensor } from "../core/tensor.ts";
import type { Tokenizer } from "../core/tokenizer.ts";
import { PLUGINS } from "../plugins/mod.ts";
import { configHash, type ModelFlags, outDir, Progress, tokenizerFromFlags } from "./common.ts";
import { readTokensFile } from "./tokens_file.ts";

function print(json: boolean | undefined, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text);
}

function clamp01(t: Tensor): Tensor {
  const d = Float32Array.from(t.data as Float32Array, (v) => (v < 0 ? 0 : v > 1 ? 1 : v));
  return { dtype: "float32", shape: t.shape, data: d };
}

async function writeImages(dir: string, images: Tensor, prefix = ""): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < images.shape[0]; i++) {
    const img = toUint8Image(images, i);
    const p = join(dir, `${prefix}${String(i).padStart(6, "0")}.png`);
    await writePng(p, img.data, img.width, img.height);
    paths.push(p);
  }
  return paths;
}

async function encodeFiles(tok: Tokenizer, files: string[], json?: boolean) {
  if (!files.length) throw new UsageError("no input images: pass image files after the flags");
  const progress = new Progress("encode", files.length, json);
  const step = 8;
  const images: Tensor[] = [];
  const tokens: Tensor[] = [];
  const latents: Tensor[] = [];
  for (let i = 0; i < files.length; i += step) {
    const x = await loadImages(files.slice(i, i + step), tok.info.imageSize);
    const enc = await tok.encode(
      x,
      tok.graphs.encode.inputs.some((v) => v.name === "noise") ? noiseFor(tok, x) : undefined,
    );
    images.push(x);
    tokens.push(enc.tokens);
    latents.push(enc.latent);
    progress.update(Math.min(i + step, files.length));
  }
  return { images: cat(images), tokens: cat(tokens), latent: cat(latents) };
}

function noiseFor(tok: Tokenizer, x: Tensor): Tensor {
  // Seeded standard normal noise for --sample (one ε per latent entry).
  const n = x.shape[0] * tok.info.latentShape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = 0x9e3779b9;
  const u = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) + 0.5) / 4294967296;
  for (let i = 0; i < n; i++) data[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return { dtype: "float32", shape: [x.shape[0], ...tok.info.latentShape], data };
}

function cat(parts: Tensor[]): Tensor {
  if (parts.length === 1) return parts[0];
  const total = parts.reduce((a, p) => a + p.data.length, 0);
  const data = new (parts[0].data.constructor as new (n: number) => Float32Array)(total);
  let at = 0;
  for (const p of parts) {
    data.set(p.data as Float32Array, at);
    at += p.data.length;
  }
  return {
    dtype: parts[0].dtype,
    shape: [parts.reduce((a, p) => a + p.shape[0], 0), ...parts[0].shape.slice(1)],
    data,
  };
}

function sidecar(tok: Tokenizer, flags: ModelFlags, files: string[], tokens: Tensor) {
  return {
    family: tok.info.family,
    variant: tok.info.variant,
    model: flags.model,
    weights: flags.weights ?? tok.model.weights ?? null,
    random_weights: tok.randomWeights,
    config_hash: configHash(tok.model.config),
    token_shape: tokens.shape,
    token_dtype: tokens.dtype,
    tokens_per_image: tok.info.tokenShape.reduce((a, b) => a * b, 1),
    vocabulary: tok.info.vocabulary ?? null,
    image_size: tok.info.imageSize,
    sources: files.map((f) => resolve(f)),
  };
}

/** `tok1d encode`. */
export async function encodeCommand(files: string[], f: ModelFlags & { out: string }): Promise<void> {
  const dir = outDir(f.out);
  const tok = await tokenizerFromFlags(f);
  try {
    const { tokens } = await encodeFiles(tok, files, f.json);
    writeNpy(join(dir, "tokens.npy"), tokens);
    const side = sidecar(tok, f, files, tokens);
    writeFileAtomic(join(dir, "tokens.json"), JSON.stringify(side, null, 2) + "\n");
    print(
      f.json,
      side,
      `wrote ${join(dir, "tokens.npy")} (${tokens.dtype} [${tokens.shape}]) and tokens.json`,
    );
  } finally {
    await tok.release();
  }
}

/** `tok1d decode`. */
export async function decodeCommand(
  f: ModelFlags & { out: string; tokens: string; npy?: boolean; depths?: string },
): Promise<void> {
  if (!f.tokens) throw new UsageError("--tokens: required (a .npy written by tok1d encode)");
  let tokens = readTokensFile(f.tokens);
  const dir = outDir(f.out);
  const tok = await tokenizerFromFlags(f);
  try {
    if (f.depths !== undefined) tokens = depthPrefix(tok, tokens, f.depths);
    const images = await tok.decode(tokens);
    const written = await writeImages(dir, images);
    if (f.npy) writeNpy(join(dir, "images.npy"), images);
    print(
      f.json,
      { images: written, npy: f.npy ? join(dir, "images.npy") : null },
      `wrote ${written.length} images to ${dir}`,
    );
  } finally {
    await tok.release();
  }
}

/** Keeps the first `depths` entries of the last axis (coarse-to-fine decoding of multi-depth tokens). */
function depthPrefix(tok: Tokenizer, tokens: Tensor, depths: string): Tensor {
  const d = Number(depths);
  const full = tok.info.tokenShape[tok.info.tokenShape.length - 1];
  if (!tok.info.depthPrefix) throw new UsageError(`--depths: ${tok.info.family} tokens have no depth axis`);
  if (!Number.isInteger(d) || d < 1 || d > full) {
    throw new UsageError(`--depths: expected 1..${full}, got '${depths}'`);
  }
  const last = tokens.shape[tokens.shape.length - 1];
  const rows = tokens.data.length / last;
  const data = new BigInt64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    data.set((tokens.data as BigInt64Array).subarray(r * last, r * last + d), r * d);
  }
  return { dtype: "int64", shape: [...tokens.shape.slice(0, -1), d], data };
}

/** `tok1d reconstruct`. */
export async function reconstructCommand(
  files: string[],
  f: ModelFlags & { out: string; npy?: boolean },
): Promise<{ grid: string; tokens: Tensor; images: Tensor; originals: Tensor }> {
  const dir = outDir(f.out);
  const tok = await tokenizerFromFlags(f);
  try {
    const enc = await encodeFiles(tok, files, f.json);
    const recon = await tok.decodeLatent(enc.latent);
    writeNpy(join(dir, "tokens.npy"), enc.tokens);
    writeFileAtomic(
      join(dir, "tokens.json"),
      JSON.stringify(sidecar(tok, f, files, enc.tokens), null, 2) + "\n",
    );
    await writeImages(dir, recon);
    if (f.npy) writeNpy(join(dir, "images.npy"), recon);
    const grid = gridRows([enc.images, clamp01(recon)], { columns: Math.min(8, files.length) });
    const gridPath = join(dir, "grid.png");
    await writePng(gridPath, grid.data, grid.width, grid.height);
    const scores = psnr(enc.images, clamp01(recon));
    const meanPsnr = scores.reduce((a, b) => a + b, 0) / scores.length;
    print(
      f.json,
      { grid: gridPath, tokens: join(dir, "tokens.npy"), psnr: meanPsnr, psnr_per_image: [...scores] },
      `wrote ${files.length} reconstructions and ${gridPath} (originals above reconstructions); ` +
        `mean PSNR ${meanPsnr.toFixed(2)} dB`,
    );
    return { grid: gridPath, tokens: enc.tokens, images: recon, originals: enc.images };
  } finally {
    await tok.release();
  }
}

/** `tok1d export`. */
export async function exportCommand(f: ModelFlags & { out: string }): Promise<void> {
  const dir = outDir(f.out);
  const tok = await tokenizerFromFlags(f);
  const written = exportOnnx(tok, dir);
  print(f.json, { files: written }, `wrote ${written.map((p) => basename(p)).join(", ")} to ${dir}`);
}

/** `tok1d info`. */
export async function infoCommand(f: ModelFlags): Promise<void> {
  const tok = await tokenizerFromFlags(f);
  let params = 0;
  for (const t of tok.weights.values()) params += t.data.length;
  const value = {
    ...tok.info,
    parameters: params,
    config: tok.model.configSource,
    random_weights: tok.randomWeights,
  };
  print(
    f.json,
    value,
    Object.entries(value).map(([k, v]) => `${k.padEnd(16)} ${typeof v === "object" ? JSON.stringify(v) : v}`)
      .join("\n"),
  );
}

/** `tok1d list`. */
export function listCommand(f: { json?: boolean }): void {
  const families = Object.values(PLUGINS).map((p) => ({
    name: p.name,
    paper: p.paper,
    presets: Object.keys(p.presets),
  }));
  print(
    f.json,
    { families, presets: listPresets() },
    families.map((p) => `${p.name}  ${p.paper}\n  presets: ${p.presets.join(", ")}`).join("\n"),
  );
}

/** The bundled sample photos (CC0/public domain, see tests/testdata/photos/README.md). */
export function samplePhotos(): string[] {
  const dir = fileURLToPath(new URL("../tests/testdata/photos/", import.meta.url));
  return readdirSync(dir).filter((f) => /\.(png|jpe?g|webp)$/i.test(f)).sort().map((f) => join(dir, f));
}

/** `tok1d demo`: reconstructs the sample photos with the default model. */
export async function demoCommand(f: Partial<ModelFlags> & { out?: string }): Promise<void> {
  const out = f.out ?? "out/demo";
  const flags = {
    model: f.model ?? "default",
    device: f.device ?? "cpu",
    threads: f.threads,
    json: f.json,
    out,
  };
  const r = await reconstructCommand(samplePhotos(), flags);
  if (!f.json) console.log(`demo: open ${r.grid}`);
}
