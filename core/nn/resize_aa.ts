/**
 * torch's `F.interpolate(x, size, mode="bilinear", align_corners=False,
 * antialias=True)` as two MatMuls with constant matrices, out = A_h·X·A_wᵀ:
 * exact, and differentiable by the MatMul rule. The weights are those of
 * torch's `_upsample_bilinear2d_aa`: a triangle filter whose support is
 * widened by the downscale factor, normalised per output pixel. When
 * upsampling the support stays 1 and the result is ordinary bilinear.
 *
 * @example
 * ```ts
 * const y = resizeBilinearAA(g, x, 224, 224); // (B, C, 224, 224)
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { fmt } from "../graph/shape.ts";
import { matmul } from "../ops/mod.ts";

const f32 = Math.fround;

/**
 * The (outSize × inSize) row-stochastic matrix that resamples one axis:
 * row i weighs input j by max(0, 1 − |j + ½ − c|/s) with c = (i + ½)·r,
 * r = in/out and s = max(r, 1), over the taps torch visits, normalised.
 * torch computes these weights in the input's precision; every step is
 * rounded to float32 here as there, so the weights agree bit for bit.
 */
export function bilinearAAWeights(inSize: number, outSize: number): Float64Array {
  const scale = f32(inSize / outSize);
  const support = scale >= 1 ? scale : 1;
  const inv = scale >= 1 ? f32(1 / scale) : 1;
  const out = new Float64Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const center = f32(scale * (i + 0.5));
    // torch truncates toward zero (an int64 cast) before clamping.
    const lo = Math.max(Math.trunc(f32(center - support) + 0.5), 0);
    const hi = Math.min(Math.trunc(f32(center + support) + 0.5), inSize);
    let total = 0;
    for (let j = lo; j < hi; j++) {
      const x = Math.abs(f32((f32(j - center) + 0.5) * inv));
      const w = x < 1 ? f32(1 - x) : 0;
      out[i * inSize + j] = w;
      total = f32(total + w);
    }
    if (total !== 0) { for (let j = lo; j < hi; j++) out[i * inSize + j] = f32(out[i * inSize + j] / total); }
  }
  return out;
}

/** The matrix as a graph constant, transposed when `transposed` (for the right-hand factor). */
function weights(g: Graph, inSize: number, outSize: number, transposed: boolean): Value {
  const w = bilinearAAWeights(inSize, outSize);
  const data = new Float32Array(w.length);
  for (let i = 0; i < outSize; i++) {
    for (let j = 0; j < inSize; j++) data[transposed ? j * outSize + i : i * inSize + j] = w[i * inSize + j];
  }
  const shape = transposed ? [inSize, outSize] : [outSize, inSize];
  return g.constant({ dtype: "float32", shape, data }, "aa_resize");
}

/** Resizes the last two axes of x (…, H, W) to (outH, outW); a no-op when the size already matches. */
export function resizeBilinearAA(g: Graph, x: Value, outH: number, outW: number): Value {
  const [h, w] = x.shape.slice(-2);
  if (typeof h !== "number" || typeof w !== "number") {
    throw new Error(`resizeBilinearAA: needs static H and W, got ${fmt(x.shape)}`);
  }
  let y = x;
  if (w !== outW) y = matmul(g, y, weights(g, w, outW, true));
  if (h !== outH) y = matmul(g, weights(g, h, outH, false), y);
  return y;
}
