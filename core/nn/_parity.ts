/**
 * Error measures of the upstream-parity tests: max and mean |a − b| over two
 * tensors of one shape.
 * @module
 */
import { deepStrictEqual, ok } from "node:assert";
import type { Tensor } from "../tensor.ts";

/** Max and mean absolute difference; throws on a shape mismatch. */
export function absErrors(got: Tensor, want: Tensor, what = "tensor"): { max: number; mean: number } {
  deepStrictEqual(got.shape, want.shape, `${what}: shape`);
  let max = 0, sum = 0;
  for (let i = 0; i < want.data.length; i++) {
    const d = Math.abs(Number(got.data[i]) - Number(want.data[i]));
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
    sum += d;
  }
  return { max, mean: sum / want.data.length };
}

/** Asserts max |got − want| ≤ tol (NaN counts as infinitely far), naming `what`. */
export function near(got: Tensor, want: Tensor, tol: number, what: string): void {
  const { max } = absErrors(got, want, what);
  ok(max <= tol, `${what}: max |diff| ${max} > ${tol}`);
}

/** max |a − b| / max |b|: an error relative to the reference's scale (quantized outputs). */
export function relError(a: Tensor, b: Tensor): number {
  const x = a.data as Float32Array, y = b.data as Float32Array;
  let err = 0, scale = 0;
  for (let i = 0; i < y.length; i++) {
    err = Math.max(err, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return err / scale;
}
