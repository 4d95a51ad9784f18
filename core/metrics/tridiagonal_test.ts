import { ok } from "node:assert";
import { bandToTridiagonal, tridiagonalEigenvalues } from "./tridiagonal.ts";

const maxErr = (got: ArrayLike<number>, want: number[]) =>
  want.reduce((m, w, i) => Math.max(m, Math.abs(got[i] - w)), 0);

Deno.test("tridiagonal: QL eigenvalues and band reduction on hand-checkable matrices", () => {
  // tridiag(−1, 2, −1) of size 3: 2 − √2, 2, 2 + √2.
  const ev = tridiagonalEigenvalues(Float64Array.of(2, 2, 2), Float64Array.of(-1, -1));
  ok(maxErr(ev, [2 - Math.SQRT2, 2, 2 + Math.SQRT2]) < 1e-14);
  // A pentadiagonal matrix (b = 2) reduced to tridiagonal keeps its trace and Frobenius norm.
  const n = 6, b = 2, w = b + 2, band = new Float64Array(n * w);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d <= Math.min(b, i); d++) band[i * w + d] = 1 + ((i * 3 + d) % 5);
  }
  const norm2 = (diag: Float64Array, off: Float64Array) =>
    [...diag].reduce((s, x) => s + x * x, 0) + 2 * [...off].reduce((s, x) => s + x * x, 0);
  let before = 0;
  for (let i = 0; i < n; i++) {
    for (let d = 0; d <= Math.min(b, i); d++) before += (d ? 2 : 1) * band[i * w + d] ** 2;
  }
  const { diagonal, offDiagonal } = bandToTridiagonal(band, n, b);
  ok(Math.abs(norm2(diagonal, offDiagonal) - before) < 1e-10);
});
