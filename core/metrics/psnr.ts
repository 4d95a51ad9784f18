/**
 * Peak signal-to-noise ratio of images in [0, 1], as skimage's
 * `peak_signal_noise_ratio(true, test, data_range=1)`: `10 log10(1 / MSE)`
 * over all pixels and channels of one image, in float64. Identical images
 * give `Infinity`.
 *
 * @example
 * ```ts
 * const a: Tensor = { dtype: "float32", shape: [1, 3, 1, 1], data: Float32Array.of(0, 0, 0) };
 * const b: Tensor = { dtype: "float32", shape: [1, 3, 1, 1], data: Float32Array.of(0.1, 0.1, 0.1) };
 * psnr(a, b); // Float64Array [20]
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";

/** Checks that two image batches are float `[B, C, H, W]` of one shape. */
export function checkPair(a: Tensor, b: Tensor, what: string): void {
  const float = (t: Tensor) => t.dtype === "float32" || t.dtype === "float64";
  if (!float(a) || !float(b) || a.shape.length !== 4 || a.shape.join() !== b.shape.join()) {
    throw new UsageError(
      `${what}: expected two float image batches (B,C,H,W) of one shape, got ${a.dtype} (${a.shape}) and ${b.dtype} (${b.shape})`,
    );
  }
}

/** PSNR in dB of each image pair of two `[B, C, H, W]` batches in [0, 1]. */
export function psnr(reference: Tensor, test: Tensor): Float64Array {
  checkPair(reference, test, "PSNR");
  const [b] = reference.shape;
  const per = reference.data.length / b;
  const x = reference.data as Float32Array, y = test.data as Float32Array;
  const out = new Float64Array(b);
  for (let i = 0; i < b; i++) {
    let sum = 0;
    for (let j = i * per; j < (i + 1) * per; j++) sum += (x[j] - y[j]) ** 2;
    out[i] = 10 * Math.log10(1 / (sum / per));
  }
  return out;
}
