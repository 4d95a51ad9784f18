/**
 * Pivoted Cholesky factorisation of a symmetric positive semi-definite float64
 * matrix, `A = L Lᵀ` with L of size n × rank (LAPACK `dpstrf`'s algorithm):
 * the largest remaining diagonal entry is eliminated first, and elimination
 * stops once every remaining diagonal entry is below `tolerance`, so a
 * rank-deficient covariance (fewer images than feature dimensions) factors
 * without breaking down. Columns are computed in blocks on the host; each
 * block's trailing update `W − L Lᵀ` runs on ONNX Runtime.
 *
 * @example
 * ```ts
 * const la = new Float64Kernels();
 * const { l, rank } = await pivotedCholesky({ rows: 2, cols: 2, data: Float64Array.of(4, 2, 2, 1) }, la);
 * // rank 1: the matrix is [2, 1]ᵀ[2, 1]
 * ```
 * @module
 */
import type { Float64Kernels, Matrix } from "./linalg.ts";

/** Result of {@link pivotedCholesky}: `A ≈ L Lᵀ`, rows of L in A's original order. */
export interface CholeskyResult {
  /** n × rank. */
  l: Matrix;
  rank: number;
  /** Largest diagonal entry left when elimination stopped (0 at full rank). */
  residual: number;
}

/** Options of {@link pivotedCholesky}. */
export interface CholeskyOptions {
  /** Stop when every remaining diagonal entry is ≤ this (default n · ε · max diagonal, as LAPACK). */
  tolerance?: number;
  /** Columns per block (default 128). */
  block?: number;
}

/** Factors the symmetric positive semi-definite matrix `a` (which is not modified). */
export async function pivotedCholesky(
  a: Matrix,
  kernels: Float64Kernels,
  options: CholeskyOptions = {},
): Promise<CholeskyResult> {
  const n = a.rows;
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, a.data[i * n + i]);
  const tol = options.tolerance ?? n * 2 ** -52 * maxDiag;
  const block = options.block ?? 128;
  const columns: Float64Array[] = []; // each of length n, original row order
  let rest = Array.from({ length: n }, (_, i) => i); // original index of each row of w
  let w = a; // rows `rest` of the Schur complement; columns keep their original index
  let residual = 0;
  for (let done = false; !done && rest.length;) {
    const m = rest.length, nb = Math.min(block, m);
    const d = new Float64Array(m);
    for (let i = 0; i < m; i++) d[i] = w.data[i * n + rest[i]];
    const taken = new Uint8Array(m);
    const lb: Float64Array[] = []; // block columns over w's rows
    for (let jj = 0; jj < nb; jj++) {
      let p = -1;
      for (let i = 0; i < m; i++) if (!taken[i] && (p < 0 || d[i] > d[p])) p = i;
      if (!(d[p] > tol)) {
        residual = Math.max(0, d[p]);
        done = true;
        break;
      }
      const root = Math.sqrt(d[p]);
      const col = new Float64Array(m);
      // Column `pivot` of the Schur complement, read as row p (symmetric; a contiguous read).
      const row = p * n;
      for (let i = 0; i < m; i++) if (!taken[i]) col[i] = w.data[row + rest[i]];
      for (const prev of lb) {
        const f = prev[p];
        if (f !== 0) { for (let i = 0; i < m; i++) col[i] -= prev[i] * f; }
      }
      for (let i = 0; i < m; i++) col[i] = taken[i] ? 0 : col[i] / root;
      col[p] = root;
      taken[p] = 1;
      for (let i = 0; i < m; i++) if (!taken[i]) d[i] -= col[i] * col[i];
      lb.push(col);
    }
    for (const col of lb) {
      const full = new Float64Array(n);
      for (let i = 0; i < m; i++) full[rest[i]] = col[i];
      columns.push(full);
    }
    const keep: number[] = [];
    for (let i = 0; i < m; i++) if (!taken[i]) keep.push(i);
    if (!keep.length) break;
    if (done) {
      for (const i of keep) residual = Math.max(residual, d[i]);
      break;
    }
    const k = lb.length;
    const lRows = { rows: keep.length, cols: k, data: new Float64Array(keep.length * k) };
    const lAll = { rows: n, cols: k, data: new Float64Array(n * k) };
    keep.forEach((i, r) => {
      for (let c = 0; c < k; c++) lRows.data[r * k + c] = lb[c][i];
    });
    for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) lAll.data[rest[i] * k + c] = lb[c][i];
    w = await kernels.schur(w, keep, lRows, lAll);
    rest = keep.map((i) => rest[i]);
  }
  const rank = columns.length;
  const l = { rows: n, cols: rank, data: new Float64Array(n * rank) };
  columns.forEach((col, c) => {
    for (let i = 0; i < n; i++) l.data[i * rank + c] = col[i];
  });
  return { l, rank, residual };
}
