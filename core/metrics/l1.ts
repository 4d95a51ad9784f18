/**
 * Mean absolute error per item of a batch: ALIT's reconstruction criterion
 * (mean |x̂ − x| over an image's pixels, in [0, 1]) and the L1 column of
 * `tok1d eval`.
 *
 * @example
 * ```ts
 * l1PerItem(images, reconstructions); // [0.031, 0.052, …], one per item
 * ```
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { checkPair } from "./psnr.ts";

/** The mean |a − b| of each item (a and b float32 of one shape, batch first). */
export function l1PerItem(a: Tensor, b: Tensor): number[] {
  checkPair(a, b, "L1");
  const n = a.shape[0], per = a.data.length / n;
  const x = a.data as Float32Array, y = b.data as Float32Array;
  return Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = i * per; j < (i + 1) * per; j++) s += Math.abs(x[j] - y[j]);
    return s / per;
  });
}
