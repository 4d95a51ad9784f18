/**
 * The numbers of the default model's card: PSNR on the held-out photos
 * (tests/testdata/photos/heldout — packages the model never saw, see
 * README.md) at the model's 64 px evaluation transform, beside two trivial
 * baselines that use no learning: each image's mean colour, and a bicubic
 * downsample to 8×8 then back up (192 numbers per image); and the codebook
 * usage of the held-out token ids (distinct ids / vocabulary).
 *
 * Run: `deno run -A weights/default/evaluate.ts [--json] [--model <spec>]`
 * (`--model` evaluates a training run's `model/` folder the same way).
 * @module
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadImages, toUint8Image } from "../../core/data/batch.ts";
import { resize } from "../../core/data/resize.ts";
import { CodebookUsage } from "../../core/metrics/codebook.ts";
import { psnr } from "../../core/metrics/psnr.ts";
import type { Tensor } from "../../core/tensor.ts";
import { loadTokenizer } from "../../core/tokenizer.ts";

/** The held-out photos: never in the training list (prepare_data.sh). */
export const HELDOUT = fileURLToPath(new URL("../../tests/testdata/photos/heldout/", import.meta.url));

/** The held-out photo files, sorted by name. */
export function heldoutFiles(): string[] {
  return readdirSync(HELDOUT).filter((f) => /\.(png|jpe?g)$/.test(f)).sort().map((f) => join(HELDOUT, f));
}

function meanColour(x: Tensor<"float32">): Tensor<"float32"> {
  const [b, c, h, w] = x.shape;
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < b * c; i++) {
    let sum = 0;
    for (let j = 0; j < h * w; j++) sum += x.data[i * h * w + j];
    out.fill(sum / (h * w), i * h * w, (i + 1) * h * w);
  }
  return { dtype: "float32", shape: x.shape, data: out };
}

function downUp(x: Tensor<"float32">, side: number): Tensor<"float32"> {
  const [b, , h, w] = x.shape;
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < b; i++) {
    const small = resize(toUint8Image(x, i), side, side, "bicubic");
    const back = resize(small, w, h, "bicubic");
    for (let p = 0; p < h * w; p++) {
      for (let ch = 0; ch < 3; ch++) out[i * 3 * h * w + ch * h * w + p] = back.data[p * 3 + ch] / 255;
    }
  }
  return { dtype: "float32", shape: x.shape, data: out };
}

const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;

/** What {@link evaluateDefault} measures. */
export interface HeldoutReport {
  images: number;
  /** Mean PSNR (dB) of the model and of the two baselines. */
  model: number;
  mean_colour: number;
  downsample_8x8_upsample: number;
  /** Distinct token ids over all held-out tokens / vocabulary (discrete models). */
  codebook_usage?: number;
  /** Per-image PSNR of the model, by file name. */
  per_image: Record<string, number>;
}

/** PSNR (dB) and codebook usage of a model (default: the embedded one) on the held-out photos. */
export async function evaluateDefault(spec = "default"): Promise<HeldoutReport> {
  const files = heldoutFiles();
  const tok = await loadTokenizer(spec, { threads: 2 });
  try {
    const x = await loadImages(files, tok.info.imageSize);
    const recon = await tok.reconstruct(x);
    const clamped = {
      ...recon.images,
      data: Float32Array.from(recon.images.data as Float32Array, (v) => Math.min(1, Math.max(0, v))),
    };
    const perImage = psnr(x, clamped);
    let usage: number | undefined;
    if (tok.info.vocabulary) {
      const hist = new CodebookUsage(tok.info.vocabulary);
      hist.add(recon.tokens.tokens);
      usage = hist.result().usage;
    }
    return {
      images: files.length,
      model: mean(perImage),
      mean_colour: mean(psnr(x, meanColour(x))),
      downsample_8x8_upsample: mean(psnr(x, downUp(x, 8))),
      ...(usage === undefined ? {} : { codebook_usage: usage }),
      per_image: Object.fromEntries(files.map((f, i) => [f.slice(HELDOUT.length), perImage[i]])),
    };
  } finally {
    await tok.release();
  }
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--model");
  const r = await evaluateDefault(at >= 0 ? Deno.args[at + 1] : "default");
  if (Deno.args.includes("--json")) console.log(JSON.stringify(r, null, 2));
  else {
    const db = (v: number) => `${v.toFixed(2)} dB`;
    console.log(`held-out images             ${r.images}`);
    console.log(`model                      ${db(r.model)}`);
    console.log(`mean colour                ${db(r.mean_colour)}`);
    console.log(`8×8 downsample → upsample  ${db(r.downsample_8x8_upsample)}`);
    if (r.codebook_usage !== undefined) {
      console.log(`codebook usage             ${(100 * r.codebook_usage).toFixed(1)} %`);
    }
  }
}
