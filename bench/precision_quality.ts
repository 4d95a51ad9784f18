/**
 * The quality cost of `--precision` on real photos: token agreement with fp32
 * (% of ids equal) and the PSNR of the reconstruction against fp32's, for the
 * default model on the held-out photos (tests/testdata/photos/heldout) and the
 * tiny ElasticTok on held-out pan/zoom clips of the same photos (its
 * README). Results: bench/README.md "Precision".
 *
 * Run: `deno run -A bench/precision_quality.ts [--model default|elastictok] [--json]`
 * @module
 */
import { decodeImage } from "../core/data/image.ts";
import { loadImages } from "../core/data/batch.ts";
import { panZoomClip } from "../core/data/pan_zoom.ts";
import { Rng } from "../core/init.ts";
import { tokenAgreement } from "../core/metrics/agreement.ts";
import { psnr } from "../core/metrics/psnr.ts";
import type { Precision } from "../core/runtime/precision.ts";
import type { Tensor } from "../core/tensor.ts";
import { type LoadOptions, loadTokenizer } from "../core/tokenizer.ts";
import { heldoutFiles } from "../weights/default/evaluate.ts";
import { HELDOUT_PHOTOS, moves } from "../tests/testdata/elastictok_tiny/make_clips.ts";

/** A precision, or int8 with its convs left in fp32 (`calibrate: false`: Linear/MatMul only). */
export type QualityVariant = Precision | "int8-linear";

/** What one precision did against fp32 on one model. */
export interface QualityRow {
  model: string;
  precision: QualityVariant;
  items: number;
  /** Fraction of token ids equal to fp32's. */
  agreement: number;
  /** Mean PSNR (dB) of the reconstructions against the inputs, fp32 and this precision. */
  psnrFp32: number;
  psnr: number;
}

/** The models of the table: name → how to load it and its held-out inputs. */
export const QUALITY_MODELS: Record<string, { spec: string; inputs: (size: number) => Promise<Tensor> }> = {
  default: { spec: "default", inputs: (size) => loadImages(heldoutFiles(), size) },
  elastictok: {
    spec: new URL("../tests/testdata/elastictok_tiny/", import.meta.url).pathname,
    inputs: elastictokClips,
  },
};

/** Held-out clips of 8 frames of 32² (as plugins/elastictok/tiny_model_test.ts makes them). */
async function elastictokClips(): Promise<Tensor> {
  const parts: Float32Array[] = [];
  for (const [p, photo] of HELDOUT_PHOTOS.entries()) {
    const img = await decodeImage(photo);
    for (const [, a, b] of moves(img, new Rng(7000 + p), 8)) parts.push(panZoomClip(img, a, b, 8, 32).data);
  }
  const data = new Float32Array(parts.length * parts[0].length);
  parts.forEach((d, i) => data.set(d, i * d.length));
  return { dtype: "float32", shape: [parts.length, 8, 3, 32, 32], data };
}

const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
/** Clamped to [0, 1]; a video batch (B, F, C, H, W) as B·F frames, so PSNR is per frame. */
const frames = (t: Tensor, clampTo = false): Tensor => ({
  ...t,
  shape: t.shape.length === 5 ? [t.shape[0] * t.shape[1], ...t.shape.slice(2)] : t.shape,
  data: clampTo ? Float32Array.from(t.data as Float32Array, (v) => Math.min(1, Math.max(0, v))) : t.data,
});

/** Encodes and reconstructs `model`'s held-out inputs at fp32 and at each of `precisions`. */
export async function measureQuality(
  model: string,
  precisions: QualityVariant[],
  options: LoadOptions = {},
): Promise<QualityRow[]> {
  const m = QUALITY_MODELS[model];
  const run = async (variant: QualityVariant) => {
    const precision = variant === "int8-linear" ? "int8" : variant;
    const tok = await loadTokenizer(m.spec, {
      threads: 2,
      ...options,
      precision,
      ...(variant === "int8-linear" ? { calibrate: false } : {}),
    });
    try {
      const x = await m.inputs(tok.info.imageSize);
      const r = await tok.reconstruct(x);
      return { x, tokens: r.tokens.tokens, psnr: mean(psnr(frames(x), frames(r.images, true))) };
    } finally {
      await tok.release();
    }
  };
  const ref = await run("fp32");
  const rows: QualityRow[] = [];
  for (const precision of precisions) {
    const r = await run(precision);
    rows.push({
      model,
      precision,
      items: ref.x.shape[0],
      agreement: tokenAgreement(ref.tokens, r.tokens),
      psnrFp32: ref.psnr,
      psnr: r.psnr,
    });
  }
  return rows;
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--model");
  const models = at >= 0 ? [Deno.args[at + 1]] : Object.keys(QUALITY_MODELS);
  const rows: QualityRow[] = [];
  for (const model of models) {
    rows.push(...await measureQuality(model, ["fp32", "bf16", "int8-linear", "int8"]));
  }
  if (Deno.args.includes("--json")) console.log(JSON.stringify(rows, null, 2));
  else {
    console.log("| model | precision | items | ids equal to fp32 | PSNR fp32 | PSNR | change |");
    console.log("|---|---|---|---|---|---|---|");
    for (const r of rows) {
      console.log(
        `| ${r.model} | ${r.precision} | ${r.items} | ${(100 * r.agreement).toFixed(2)} % | ` +
          `${r.psnrFp32.toFixed(2)} dB | ${r.psnr.toFixed(2)} dB | ${(r.psnr - r.psnrFp32).toFixed(3)} dB |`,
      );
    }
  }
}
