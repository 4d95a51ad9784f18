/**
 * Resampling a ViT's learned positional table to another patch grid, as
 * torch's `F.interpolate(mode="bicubic", align_corners=False)` over the
 * (g × g) patch rows; the leading prefix rows (class token, …) are kept.
 * - default: cubic convolution with a = −0.75, source indices clamped at the
 *   border (BDD-1D's Depth-Anything path does this before zeroing the table;
 *   the DINO helper uses it);
 * - `antialias`: torch's antialiased bicubic (a = −0.5, the kernel widened by
 *   the scale when shrinking, weights renormalised at the border), which
 *   timm's `resample_abs_pos_embed` uses when a model is created at another
 *   image size (`--pos-embed interpolate`).
 *
 * @example
 * ```ts
 * const p = resamplePosEmbed(posEmbed, 1, 16); // (1, 1+14², 768) → (1, 1+16², 768)
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";

const A = -0.75;
const near = (t: number) => ((A + 2) * t - (A + 3)) * t * t + 1; // |t| ≤ 1
const far = (t: number) => ((A * t - 5 * A) * t + 8 * A) * t - 4 * A; // 1 < |t| < 2

/** torch's antialiased bicubic filter (a = −0.5). */
function aaFilter(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** torch's antialiased 1-D taps of output `i` (`_compute_indices_weights_aa`). */
function aaTaps(i: number, inSize: number, outSize: number): [number, number][] {
  const scale = inSize / outSize;
  const support = scale >= 1 ? 2 * scale : 2;
  const center = scale * (i + 0.5);
  const inv = scale >= 1 ? 1 / scale : 1;
  const lo = Math.max(Math.trunc(center - support + 0.5), 0);
  const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
  const out: [number, number][] = [];
  for (let j = lo; j < hi; j++) out.push([j, aaFilter((j - center + 0.5) * inv)]);
  const total = out.reduce((s, [, w]) => s + w, 0);
  return total ? out.map(([j, w]) => [j, w / total]) : out;
}

/** torch's 1-D bicubic taps of output `i` (align_corners False): 4 (index, weight) pairs. */
function taps(i: number, inSize: number, outSize: number): [number, number][] {
  const src = (i + 0.5) * (inSize / outSize) - 0.5;
  const f = Math.floor(src);
  const t = src - f;
  const w = [far(t + 1), near(t), near(1 - t), far(2 - t)];
  const clamp = (k: number) => Math.min(Math.max(k, 0), inSize - 1);
  return w.map((wk, k) => [clamp(f - 1 + k), wk]);
}

/** (1, prefix + g², W) → (1, prefix + size², W), rows after `prefix` resampled bicubically. */
export function resamplePosEmbed(
  t: Tensor,
  prefix: number,
  size: number,
  o: { antialias?: boolean } = {},
): Tensor<"float32"> {
  const [one, rows, w] = t.shape;
  const g = Math.round(Math.sqrt(rows - prefix));
  if (t.shape.length !== 3 || one !== 1 || g * g !== rows - prefix) {
    throw new UsageError(
      `pos_embed of shape (${
        t.shape.join(", ")
      }): expected (1, ${prefix} + g², width) for a square patch grid`,
    );
  }
  const src = Float32Array.from(t.data as Float32Array);
  const out = new Float32Array((prefix + size * size) * w);
  out.set(src.subarray(0, prefix * w));
  const tp = Array.from({ length: size }, (_, i) => (o.antialias ? aaTaps : taps)(i, g, size));
  const acc = new Float64Array(w);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      acc.fill(0);
      for (const [sy, wy] of tp[y]) {
        for (const [sx, wx] of tp[x]) {
          const base = (prefix + sy * g + sx) * w, k = wy * wx;
          for (let c = 0; c < w; c++) acc[c] += k * src[base + c];
        }
      }
      out.set(acc, (prefix + y * size + x) * w);
    }
  }
  return { dtype: "float32", shape: [1, prefix + size * size, w], data: out };
}
