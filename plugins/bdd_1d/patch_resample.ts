/**
 * timm's `resample_patch_embed` (FlexiViT's pseudo-inverse resize,
 * https://arxiv.org/abs/2212.08013): a patch-embedding kernel (O, I, h, w) is
 * carried to (O, I, h', w') so that on inputs resized by the same factor the
 * patch features stay the same. With R the 1-D resize matrix (new × old) of
 * torch's `F.interpolate(mode="bicubic", antialias=True)` — PIL's cubic
 * (a = −0.5), support widened by the scale when shrinking, weights summing to
 * one — the kernel becomes P·K·Pᵀ per channel, P = pinv(Rᵀ) (computed in
 * float64). timm uses it when DINOv2's 14×14 kernel loads into a 16×16 ViT.
 *
 * @example
 * ```ts
 * const k16 = resamplePatchKernel(k14, 16, 16); // (768, 3, 14, 14) → (768, 3, 16, 16)
 * ```
 * @module
 */
import type { Tensor } from "../../core/tensor.ts";

/** PIL's bicubic filter (a = −0.5), as torch's antialiased bicubic uses it. */
function cubic(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** torch's antialiased bicubic resize of a length-`n` signal to length `m`, as an (m × n) matrix. */
export function bicubicAAMatrix(n: number, m: number): Float64Array[] {
  const scale = n / m;
  const support = 2 * Math.max(scale, 1);
  const inv = 1 / Math.max(scale, 1);
  return Array.from({ length: m }, (_, i) => {
    const row = new Float64Array(n);
    const center = scale * (i + 0.5);
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), n);
    let total = 0;
    for (let j = lo; j < hi; j++) total += row[j] = cubic((j - center + 0.5) * inv);
    for (let j = lo; j < hi; j++) row[j] /= total;
    return row;
  });
}

/** Solves A·X = B for square A (n×n) by Gaussian elimination with partial pivoting; B is n×k. */
function solve(a: number[][], b: number[][]): number[][] {
  const n = a.length;
  const m = a.map((r, i) => [...r, ...b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let j = c; j < m[r].length; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((r, i) => r.slice(n).map((v) => v / m[i][i]));
}

/** P = pinv(Rᵀ) (m × n) for the (m × n) resize matrix R of full rank min(m, n). */
export function pinvTransposed(r: Float64Array[]): number[][] {
  const m = r.length, n = r[0].length;
  const rr = (i: number, j: number) => r.reduce((s, row) => s + row[i] * row[j], 0); // (RᵀR)ij
  if (m >= n) {
    // Rᵀ (n × m) has full row rank: pinv = R (RᵀR)⁻¹.
    const inv = solve(
      Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => rr(i, j))),
      Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))),
    );
    return r.map((row) => inv[0].map((_, j) => row.reduce((s, v, k) => s + v * inv[k][j], 0)));
  }
  // Rᵀ has full column rank: pinv = (R Rᵀ)⁻¹ R.
  const rrt = r.map((a) => r.map((b) => a.reduce((s, v, k) => s + v * b[k], 0)));
  return solve(rrt, r.map((row) => [...row]));
}

/** Resamples a patch kernel (O, I, h, w) to (O, I, newH, newW) as timm's `resample_patch_embed`. */
export function resamplePatchKernel(t: Tensor, newH: number, newW: number): Tensor<"float32"> {
  const [o, c, h, w] = t.shape;
  if (h === newH && w === newW) {
    return { dtype: "float32", shape: [...t.shape], data: Float32Array.from(t.data as Float32Array) };
  }
  const ph = pinvTransposed(bicubicAAMatrix(h, newH)), pw = pinvTransposed(bicubicAAMatrix(w, newW));
  const src = t.data as Float32Array;
  const out = new Float32Array(o * c * newH * newW);
  const tmp = new Float64Array(newH * w);
  for (let k = 0; k < o * c; k++) {
    const base = k * h * w;
    // tmp = Ph · K (newH × w), then out = tmp · Pwᵀ (newH × newW).
    for (let y = 0; y < newH; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let j = 0; j < h; j++) s += ph[y][j] * src[base + j * w + x];
        tmp[y * w + x] = s;
      }
    }
    for (let y = 0; y < newH; y++) {
      for (let x = 0; x < newW; x++) {
        let s = 0;
        for (let j = 0; j < w; j++) s += tmp[y * w + j] * pw[x][j];
        out[k * newH * newW + y * newW + x] = s;
      }
    }
  }
  return { dtype: "float32", shape: [o, c, newH, newW], data: out };
}
