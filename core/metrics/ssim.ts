/**
 * Structural similarity of images in [0, 1], as skimage's
 * `structural_similarity(im1, im2, gaussian_weights=True, data_range=1,
 * channel_axis=…)` with its other defaults: an 11×11 Gaussian window
 * (σ 1.5, truncated at 3.5σ), K1 0.01, K2 0.03, sample covariances
 * (`N/(N−1)`, N = 121), the SSIM map averaged over the pixels at least 5
 * from the border, then over channels. Computed in float64.
 *
 * Only windows that lie inside the image enter that average, so the filter's
 * border mode (scipy's `reflect`) never affects the result; windows are computed inside only.
 *
 * @example
 * ```ts
 * const x = await loadImages(["a.png"], 64);
 * ssim(x, x); // Float64Array [1]
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { checkPair } from "./psnr.ts";

const SIGMA = 1.5, RADIUS = Math.trunc(3.5 * SIGMA + 0.5), WIN = 2 * RADIUS + 1;
const K1 = 0.01, K2 = 0.03;
const C1 = K1 ** 2, C2 = K2 ** 2; // data_range 1
const COV_NORM = WIN * WIN / (WIN * WIN - 1);

/** scipy's `_gaussian_kernel1d(1.5, 0, 5)`: exp(−x²/2σ²), normalised. */
const KERNEL = (() => {
  const k = Float64Array.from(
    { length: WIN },
    (_, i) => Math.exp((-0.5 / (SIGMA * SIGMA)) * (i - RADIUS) ** 2),
  );
  const s = k.reduce((a, v) => a + v, 0);
  return k.map((v) => v / s);
})();

/** Mean SSIM of one channel pair (h × w planes at the given offsets). */
function planeSsim(x: ArrayLike<number>, y: ArrayLike<number>, at: number, h: number, w: number): number {
  // Horizontal pass of the five products, for all rows and the columns whose window fits.
  const cw = w - 2 * RADIUS;
  const rows = [0, 1, 2, 3, 4].map(() => new Float64Array(h * cw));
  const [hx, hy, hxx, hyy, hxy] = rows;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < cw; c++) {
      let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
      for (let k = 0; k < WIN; k++) {
        const a = x[at + r * w + c + k], b = y[at + r * w + c + k], g = KERNEL[k];
        sx += g * a;
        sy += g * b;
        sxx += g * a * a;
        syy += g * b * b;
        sxy += g * a * b;
      }
      const o = r * cw + c;
      hx[o] = sx, hy[o] = sy, hxx[o] = sxx, hyy[o] = syy, hxy[o] = sxy;
    }
  }
  let total = 0;
  const ch = h - 2 * RADIUS;
  for (let r = 0; r < ch; r++) {
    for (let c = 0; c < cw; c++) {
      let ux = 0, uy = 0, uxx = 0, uyy = 0, uxy = 0;
      for (let k = 0; k < WIN; k++) {
        const o = (r + k) * cw + c, g = KERNEL[k];
        ux += g * hx[o];
        uy += g * hy[o];
        uxx += g * hxx[o];
        uyy += g * hyy[o];
        uxy += g * hxy[o];
      }
      const vx = COV_NORM * (uxx - ux * ux),
        vy = COV_NORM * (uyy - uy * uy),
        vxy = COV_NORM * (uxy - ux * uy);
      total += ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
    }
  }
  return total / (ch * cw);
}

/** Mean SSIM of each image pair of two `[B, C, H, W]` batches in [0, 1] (channels averaged). */
export function ssim(reference: Tensor, test: Tensor): Float64Array {
  checkPair(reference, test, "SSIM");
  const [b, c, h, w] = reference.shape;
  if (h < WIN || w < WIN) throw new UsageError(`SSIM: images must be at least ${WIN}×${WIN}, got ${h}×${w}`);
  const out = new Float64Array(b);
  for (let i = 0; i < b; i++) {
    let sum = 0;
    for (let ch = 0; ch < c; ch++) {
      sum += planeSsim(reference.data as Float32Array, test.data as Float32Array, (i * c + ch) * h * w, h, w);
    }
    out[i] = sum / c;
  }
  return out;
}
