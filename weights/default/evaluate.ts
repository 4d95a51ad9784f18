/**
 * The numbers of the default model's card: PSNR on the held-out photos
 * (tests/testdata/photos/heldout, never trained on) at the model's 64 px
 * evaluation transform, beside two trivial baselines that use no learning:
 * each image's mean colour, and a bicubic downsample to 8×8 then back up
 * (192 numbers per image, about half the model's 32×12 = 384).
 *
 * Run: `deno run -A weights/default/evaluate.ts [--json]`
 * @module
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadImages, toUint8Image } from "../../core/data/batch.ts";
import { resize } from "../../core/data/resize.ts";
import { psnr } from "../../core/metrics/psnr.ts";
import type { Tensor } from "../../core/tensor.ts";
import { loadTokenizer } from "../../core/tokenizer.ts";

const HELDOUT = fileURLToPath(new URL("../../tests/testdata/photos/heldout/", import.meta.url));

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

/** PSNR (dB) of the default model and the baselines on the held-out photos. */
export async function evaluateDefault(): Promise<Record<string, number>> {
  const files = readdirSync(HELDOUT).filter((f) => f.endsWith(".png")).sort().map((f) => join(HELDOUT, f));
  const tok = await loadTokenizer("default", { threads: 2 });
  try {
    const x = await loadImages(files, tok.info.imageSize);
    const recon = await tok.reconstruct(x);
    const clamped = {
      ...recon.images,
      data: Float32Array.from(recon.images.data as Float32Array, (v) => Math.min(1, Math.max(0, v))),
    };
    return {
      images: files.length,
      model: mean(psnr(x, clamped)),
      mean_colour: mean(psnr(x, meanColour(x))),
      downsample_8x8_upsample: mean(psnr(x, downUp(x, 8))),
    };
  } finally {
    await tok.release();
  }
}

if (import.meta.main) {
  const r = await evaluateDefault();
  console.log(
    Deno.args.includes("--json")
      ? JSON.stringify(r)
      : Object.entries(r).map(([k, v]) =>
        `${k.padEnd(26)} ${typeof v === "number" && k !== "images" ? v.toFixed(2) + " dB" : v}`
      ).join("\n"),
  );
}
