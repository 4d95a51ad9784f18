/**
 * The two host-side (JavaScript, float64) stages of the symmetric eigenvalue
 * solver: a banded symmetric matrix → tridiagonal by Givens rotations with
 * bulge chasing (Schwarz's method, O(n² b)), and the eigenvalues of a
 * symmetric tridiagonal matrix by the implicit QL method (EISPACK `tql1`).
 *
 * Band storage is row-major: row `i` holds `A[i][i − d]` for d = 0 … b + 1 at
 * `band[i·(b+2) + d]` (one spare diagonal for the bulge being chased).
 *
 * @example
 * ```ts
 * const b = 1, band = new Float64Array(3 * (b + 2)); // 3×3, tridiagonal already
 * band.set([2, 0, 0, 2, -1, 0, 2, -1, 0]);            // diag 2, off-diagonal −1
 * const { diagonal, offDiagonal } = bandToTridiagonal(band, 3, b);
 * tridiagonalEigenvalues(diagonal, offDiagonal); // [2 − √2, 2, 2 + √2]
 * ```
 * @module
 */

/**
 * Reduces a symmetric band matrix (bandwidth `b`, storage above; modified in
 * place) to tridiagonal form with the same eigenvalues.
 */
export function bandToTridiagonal(
  band: Float64Array,
  n: number,
  b: number,
): { diagonal: Float64Array; offDiagonal: Float64Array } {
  const w = b + 2;
  // Rotates rows and columns p, p+1 by (c, s): new p = c·p + s·q, new q = −s·p + c·q.
  const rotate = (p: number, c: number, s: number) => {
    const q = p + 1, rp = p * w, rq = q * w;
    for (let j = Math.max(0, p - b); j < p; j++) {
      const x = band[rp + p - j], y = band[rq + q - j];
      band[rp + p - j] = c * x + s * y;
      band[rq + q - j] = c * y - s * x;
    }
    const app = band[rp], aqq = band[rq], apq = band[rq + 1];
    band[rp] = c * c * app + 2 * c * s * apq + s * s * aqq;
    band[rq] = s * s * app - 2 * c * s * apq + c * c * aqq;
    band[rq + 1] = c * s * (aqq - app) + (c * c - s * s) * apq;
    const last = Math.min(n - 1, p + b + 1);
    for (let i = q + 1; i <= last; i++) {
      const ri = i * w;
      const x = band[ri + i - p], y = band[ri + i - q];
      band[ri + i - p] = c * x + s * y;
      band[ri + i - q] = c * y - s * x;
    }
  };
  // Zeroes A[i][j] against A[i−1][j] with a rotation of rows/columns i−1, i.
  const annihilate = (i: number, j: number): boolean => {
    const y = band[i * w + i - j];
    if (y === 0) return false;
    const x = band[(i - 1) * w + i - 1 - j];
    const r = Math.sqrt(x * x + y * y); // (Math.hypot is several times slower; values are far from overflow)
    rotate(i - 1, x / r, y / r);
    band[i * w + i - j] = 0;
    return true;
  };
  for (let k = 0; k + 2 < n; k++) {
    for (let l = Math.min(b, n - 1 - k); l >= 2; l--) {
      if (!annihilate(k + l, k)) continue;
      // The rotation of rows k+l−1, k+l filled A[k+l+b][k+l−1]; chase that bulge off the end.
      for (let q = k + l; q + b < n; q += b) {
        if (!annihilate(q + b, q - 1)) break;
      }
    }
  }
  const diagonal = new Float64Array(n), offDiagonal = new Float64Array(Math.max(0, n - 1));
  for (let i = 0; i < n; i++) diagonal[i] = band[i * w];
  for (let i = 1; i < n; i++) offDiagonal[i - 1] = band[i * w + 1];
  return { diagonal, offDiagonal };
}

/**
 * Eigenvalues (ascending) of the symmetric tridiagonal matrix with the given
 * diagonal and off-diagonal (`offDiagonal[i] = T[i+1][i]`): implicit QL with
 * Wilkinson shifts. Inputs are not modified.
 */
export function tridiagonalEigenvalues(diagonal: Float64Array, offDiagonal: Float64Array): Float64Array {
  const n = diagonal.length;
  const d = Float64Array.from(diagonal);
  const e = new Float64Array(n);
  e.set(offDiagonal.subarray(0, n - 1));
  const eps = 2 ** -52;
  let f = 0, tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > 100) throw new Error(`tridiagonal QL: no convergence for eigenvalue ${l} of ${n}`);
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.sqrt(p * p + 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
        const el1 = e[l + 1];
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.sqrt(p * p + e[i] * e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
        }
        p = -s * s2 * c3 * el1 * e[l] / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  return d.sort();
}
