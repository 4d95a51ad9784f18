import { ok } from "node:assert";
import { Rng } from "../init.ts";
import { panelQR, symmetricEigenvalues } from "./eigen.ts";
import { Float64Kernels, type Matrix } from "./linalg.ts";

/** Q diag(λ) Qᵀ with Q a product of three random Householder reflections: a matrix of known spectrum. */
function withSpectrum(lambda: number[], seed: number): Matrix {
  const n = lambda.length, rng = new Rng(seed);
  const a = new Float64Array(n * n);
  lambda.forEach((l, i) => (a[i * n + i] = l));
  for (let h = 0; h < 3; h++) {
    const v = Float64Array.from({ length: n }, () => rng.normal());
    const vv = v.reduce((s, x) => s + x * x, 0);
    const av = Float64Array.from({ length: n }, (_, i) => v.reduce((s, x, j) => s + a[i * n + j] * x, 0));
    const vav = v.reduce((s, x, i) => s + x * av[i], 0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        a[i * n + j] += (-2 / vv) * (v[i] * av[j] + av[i] * v[j]) + ((4 * vav) / (vv * vv)) * v[i] * v[j];
      }
    }
  }
  return { rows: n, cols: n, data: a };
}

const maxErr = (got: ArrayLike<number>, want: number[]) =>
  want.reduce((m, w, i) => Math.max(m, Math.abs(got[i] - w)), 0);

Deno.test("eigen: panel QR gives Qᵀ P = [R; 0] with Q = I − Y T Yᵀ orthogonal", () => {
  const rng = new Rng(5), m = 9, nb = 4;
  const p = { rows: m, cols: nb, data: Float64Array.from({ length: m * nb }, () => rng.normal()) };
  const { y, t, r } = panelQR(p);
  // Q = I − Y T Yᵀ, built densely.
  const q = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      let s = i === j ? 1 : 0;
      for (let a = 0; a < nb; a++) {
        for (let c = 0; c < nb; c++) s -= y.data[i * nb + a] * t.data[a * nb + c] * y.data[j * nb + c];
      }
      q[i * m + j] = s;
    }
  }
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < nb; c++) {
      let s = 0; // (Qᵀ P)[i][c]
      for (let k = 0; k < m; k++) s += q[k * m + i] * p.data[k * nb + c];
      const want = i < nb && c >= i ? r.data[i * nb + c] : 0;
      ok(Math.abs(s - want) < 1e-12, `(QᵀP)[${i}][${c}] = ${s}, want ${want}`);
    }
  }
});

Deno.test("eigen: symmetric eigenvalues of matrices with known spectra, all bandwidths", async () => {
  const la = new Float64Kernels({ threads: 2 });
  // [n, bandwidth, panels per delayed update]: single panels, several groups, a ragged last panel.
  for (
    const [n, b, group] of [[1, 32, 8], [2, 32, 8], [5, 2, 1], [40, 4, 3], [70, 8, 8], [150, 24, 2], [
      150,
      32,
      8,
    ]]
  ) {
    const lambda = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : Math.sin(i + 1) * 5 + 1));
    const got = await symmetricEigenvalues(withSpectrum(lambda, n), la, { bandwidth: b, group });
    const err = maxErr(got, lambda.sort((x, y) => x - y));
    ok(err < 1e-12, `n ${n}, bandwidth ${b}, group ${group}: max error ${err}`);
  }
  await la.release();
});
