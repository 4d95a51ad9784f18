/**
 * Resampling a ViT's learned positional table to another patch grid, as
 * torch's `F.interpolate(mode="bicubic", align_corners=False)` (cubic
 * convolution, a = −0.75, source indices clamped at the border, no
 * antialiasing) over the (g × g) patch rows; the leading prefix rows (class
 * token, …) are kept. This is what BDD-1D's Depth-Anything path does before it
 * zeroes the table, and what tok1d's `--pos-embed interpolate` and the DINO
 * helper use to move a 224-px table (14²) to a 256-px model (16²).
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
export function resamplePosEmbed(t: Tensor, prefix: number, size: number): Tensor<"float32"> {
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
  const tp = Array.from({ length: size }, (_, i) => taps(i, g, size));
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
