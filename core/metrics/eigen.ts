/**
 * Eigenvalues of a dense symmetric float64 matrix in two stages, so that the
 * O(n³) work runs as ONNX Runtime matrix products:
 *
 * 1. dense → band (bandwidth b): for each block of b columns, a Householder
 *    QR of the panel below the band on the host, then the two-sided update
 *    `Qᵀ A₂₂ Q` of the trailing matrix with `Q = I − Y T Yᵀ` (compact WY form)
 *    as one ORT graph (`Float64Kernels.reflect`);
 * 2. band → tridiagonal by bulge chasing and tridiagonal QL, on the host
 *    (O(n² b) and O(n²): see tridiagonal.ts).
 *
 * A one-stage Householder tridiagonalisation in JavaScript takes ~8 s at
 * n = 2048; this takes well under a second there.
 *
 * @example
 * ```ts
 * const la = new Float64Kernels();
 * const a = { rows: 2, cols: 2, data: Float64Array.of(2, 1, 1, 2) };
 * await symmetricEigenvalues(a, la); // Float64Array [1, 3]
 * ```
 * @module
 */
import { type Float64Kernels, type Matrix, zerosMatrix } from "./linalg.ts";
import { bandToTridiagonal, tridiagonalEigenvalues } from "./tridiagonal.ts";

/** A panel's QR: `P = Q [R; 0]` with `Q = I − Y T Yᵀ`. */
export interface PanelQR {
  /** m × r, unit lower trapezoidal. */
  y: Matrix;
  /** r × r, upper triangular. */
  t: Matrix;
  /** r × cols, upper trapezoidal. */
  r: Matrix;
}

/** Householder QR of an m × nb panel (LAPACK `dgeqr2` + `dlarft`, forward, columnwise). */
export function panelQR(p: Matrix): PanelQR {
  const { rows: m, cols: nb } = p;
  // Column-major copy: every reflector works on contiguous columns.
  const a = new Float64Array(m * nb);
  for (let i = 0; i < m; i++) for (let j = 0; j < nb; j++) a[j * m + i] = p.data[i * nb + j];
  const k = Math.min(m, nb);
  const tau = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const v = j * m;
    let sigma = 0;
    for (let i = j + 1; i < m; i++) sigma += a[v + i] * a[v + i];
    const alpha = a[v + j];
    if (sigma === 0) continue; // already zero below the diagonal: H = I
    const norm = Math.sqrt(alpha * alpha + sigma);
    const beta = alpha <= 0 ? norm : -norm;
    tau[j] = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    for (let i = j + 1; i < m; i++) a[v + i] *= scale;
    a[v + j] = beta;
    for (let c = j + 1; c < nb; c++) {
      const col = c * m;
      let w = a[col + j];
      for (let i = j + 1; i < m; i++) w += a[v + i] * a[col + i];
      w *= tau[j];
      a[col + j] -= w;
      for (let i = j + 1; i < m; i++) a[col + i] -= w * a[v + i];
    }
  }
  const y = zerosMatrix(m, k), t = zerosMatrix(k, k), r = zerosMatrix(k, nb);
  for (let j = 0; j < k; j++) {
    y.data[j * k + j] = 1;
    for (let i = j + 1; i < m; i++) y.data[i * k + j] = a[j * m + i];
  }
  for (let i = 0; i < k; i++) for (let c = i; c < nb; c++) r.data[i * nb + c] = a[c * m + i];
  const z = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    // T[0:j, j] = −τ_j · T[0:j, 0:j] · (Y[:, 0:j]ᵀ v_j), with v_j = (0…0, 1, a[j+1:, j]).
    for (let c = 0; c < j; c++) {
      let s = a[c * m + j]; // Y[j][c] · 1
      for (let i = j + 1; i < m; i++) s += a[c * m + i] * a[j * m + i];
      z[c] = -tau[j] * s;
    }
    for (let i = 0; i < j; i++) {
      let s = 0;
      for (let c = i; c < j; c++) s += t.data[i * k + c] * z[c];
      t.data[i * k + j] = s;
    }
    t.data[j * k + j] = tau[j];
  }
  return { y, t, r };
}

/** Options of {@link symmetricEigenvalues}. */
export interface EigenOptions {
  /** Bandwidth of the intermediate band matrix (default 24). */
  bandwidth?: number;
  /** Panels whose two-sided updates are applied together (default 8). */
  group?: number;
}

/**
 * Eigenvalues (ascending) of the symmetric matrix `a` (it must be exactly
 * symmetric: the host reads its lower triangle, ORT the whole matrix).
 *
 * Stage 1 works on groups of panels: within a group the trailing matrix stays
 * `A − V Wᵀ − W Vᵀ` (V: the panels' reflectors, W: `X − ½ Y Tᵀ Yᵀ X` with
 * `X = A_cur Y T`), so only panel columns and m × b products leave ORT; one
 * call per group returns the updated trailing matrix.
 */
export async function symmetricEigenvalues(
  a: Matrix,
  kernels: Float64Kernels,
  options: EigenOptions = {},
): Promise<Float64Array> {
  const n = a.rows;
  if (a.cols !== n) throw new Error(`symmetricEigenvalues: ${a.rows}×${a.cols} is not square`);
  if (n === 0) return new Float64Array(0);
  const b = Math.max(1, Math.min(options.bandwidth ?? 24, n - 1));
  const group = Math.max(1, options.group ?? 8);
  const w = b + 2;
  const band = new Float64Array(n * w);
  let cur = a; // the trailing matrix at the start of a group: rows/columns base…n−1 of the original
  for (let base = 0;;) {
    const m = cur.rows, width = group * b;
    // [V W] and [W V] of the group: reflectors and W columns, zero where not yet filled (zero columns
    // change nothing).
    const vw = zerosMatrix(m, 2 * width), wv = zerosMatrix(m, 2 * width);
    let o = 0; // rows/columns done in this group
    for (let p = 0; p < group; p++) {
      const nb = Math.min(b, m - o);
      const c = await kernels.lowRankColumns(cur, vw, wv, Array.from({ length: nb }, (_, j) => o + j));
      for (let i = 0; i < nb; i++) {
        for (let j = 0; j <= i; j++) band[(base + o + i) * w + i - j] = c.data[(o + i) * nb + j];
      }
      if (m - o <= nb) return finish(band, n, b);
      const rows = m - o - nb, from = o + nb;
      const { y, t, r } = panelQR({ rows, cols: nb, data: c.data.slice(from * nb, m * nb) });
      for (let i = 0; i < r.rows; i++) {
        for (let j = i; j < nb; j++) band[(base + from + i) * w + nb + i - j] = r.data[i * nb + j];
      }
      const k = y.cols, y0 = zerosMatrix(m, k);
      y0.data.set(y.data, from * k);
      const wNew = await kernels.panelUpdate(cur, vw, wv, y0, t);
      for (let i = from; i < m; i++) {
        for (let j = 0; j < k; j++) {
          const row = i * 2 * width, yv = y0.data[i * k + j], wval = wNew.data[i * k + j];
          vw.data[row + p * b + j] = wv.data[row + width + p * b + j] = yv;
          vw.data[row + width + p * b + j] = wv.data[row + p * b + j] = wval;
        }
      }
      o = from;
    }
    cur = await kernels.lowRankUpdate(cur, vw, wv, o);
    base += o;
  }
}

function finish(band: Float64Array, n: number, b: number): Float64Array {
  const { diagonal, offDiagonal } = bandToTridiagonal(band, n, b);
  return tridiagonalEigenvalues(diagonal, offDiagonal);
}
