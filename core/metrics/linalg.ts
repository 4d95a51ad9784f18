/**
 * Float64 dense-matrix kernels on ONNX Runtime, for the Fréchet distance:
 * ORT's CPU MatMul does double precision at tens of GFLOP/s, a hundred times
 * plain JavaScript loops, so every O(n³) step of the eigenvalue and
 * factorisation code goes through one of these graphs:
 *
 * - `product`: `A · B` (optionally `Aᵀ · B`); `sandwich`: `Lᵀ S L`;
 * - `schur`: rows `i` of `W − L Lᵀ` (blocked Cholesky's trailing update);
 * - `lowRankColumns`, `panelUpdate`, `lowRankUpdate`: columns of `A − [V W]·[W V]ᵀ`, a panel's W
 *   columns, and the trailing block (the band reduction's delayed two-sided updates).
 *
 * Sessions are built on first use and take any sizes (symbolic dims).
 *
 * @example
 * ```ts
 * const la = new Float64Kernels({ threads: 2 });
 * const c = await la.product({ rows: 2, cols: 2, data: Float64Array.of(1, 2, 3, 4) }, eye(2));
 * await la.release();
 * ```
 * @module
 */
import { Graph, type Value } from "../graph/graph.ts";
import { gather, gemm, matmul } from "../ops/mod.ts";
import { Session, type SessionOptions } from "../runtime/mod.ts";
import type { Tensor } from "../tensor.ts";

/** A dense row-major float64 matrix. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** A zero matrix. */
export function zerosMatrix(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** The n×n identity. */
export function eye(n: number): Matrix {
  const m = zerosMatrix(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

const f64 = (m: Matrix): Tensor => ({ dtype: "float64", shape: [m.rows, m.cols], data: m.data });
const i64 = (idx: ArrayLike<number>): Tensor => ({
  dtype: "int64",
  shape: [idx.length],
  data: BigInt64Array.from(Array.from(idx, (v) => BigInt(v))),
});
const matrixOf = (t: Tensor): Matrix => ({
  rows: t.shape[0],
  cols: t.shape[1],
  data: t.data as Float64Array,
});
const input = (g: Graph, name: string, rows: string, cols: string) => g.input(name, "float64", [rows, cols]);

function productGraph(transposeA: boolean): Graph {
  const g = new Graph(transposeA ? "product_ta" : "product");
  const a = input(g, "a", transposeA ? "k" : "m", transposeA ? "m" : "k");
  const b = input(g, "b", "k", "n");
  g.output(transposeA ? gemm(g, a, b, undefined, { transA: true }) : matmul(g, a, b), "c");
  return g;
}

function sandwichGraph(): Graph {
  const g = new Graph("sandwich");
  const l = input(g, "l", "n", "r"), s = input(g, "s", "n", "n");
  g.output(gemm(g, l, matmul(g, s, l), undefined, { transA: true }), "out");
  return g;
}

/** `x[start:, start:]` of a square matrix, `start` fed at run time (tail of a trailing matrix). */
function tail(g: Graph, x: Value, start: Value, rows: string, cols: string | number = rows): Value {
  const big = g.constant({ dtype: "int64", shape: [2], data: BigInt64Array.of(1n << 62n, 1n << 62n) }, "end");
  const axes = g.constant({ dtype: "int64", shape: [2], data: BigInt64Array.of(0n, 1n) }, "axes");
  return g.addNode("Slice", [x, start, big, axes], {}, [{ dtype: x.dtype, shape: [rows, cols] }])[0];
}

function schurGraph(): Graph {
  // Rows `keep` of W − L Lᵀ, every column: the remaining rows of the Schur complement. Columns stay
  // indexed by the original index, which spares a (slow) column gather.
  const g = new Graph("schur");
  const w = input(g, "w", "m", "n");
  const keep = g.input("keep", "int64", ["r"]);
  const lRows = input(g, "l_rows", "r", "k"), lAll = input(g, "l_all", "n", "k");
  g.output(gemm(g, lRows, lAll, gather(g, w, keep, 0), { alpha: -1, transB: true }), "out");
  return g;
}

// The band reduction keeps its trailing matrix as A − V Wᵀ − W Vᵀ = A − [V W]·[W V]ᵀ for a few panels, so
// that only one call per group of panels returns a full-size matrix (large outputs are what cost).

function lowRankColumnsGraph(): Graph {
  const g = new Graph("low_rank_columns");
  const a = input(g, "a", "m", "m"), vw = input(g, "vw", "m", "r"), wv = input(g, "wv", "m", "r");
  const cols = g.input("cols", "int64", ["k"]);
  g.output(gemm(g, vw, gather(g, wv, cols, 0), gather(g, a, cols, 1), { alpha: -1, transB: true }), "out");
  return g;
}

function panelUpdateGraph(): Graph {
  // For a panel's reflector Y, T: W = X − ½ Y (Tᵀ Yᵀ X) with X = (A − [V W][W V]ᵀ)(Y T).
  const g = new Graph("panel_update");
  const a = input(g, "a", "m", "m"), vw = input(g, "vw", "m", "r"), wv = input(g, "wv", "m", "r");
  const y = input(g, "y", "m", "k"), t = input(g, "t", "k", "k");
  const z = matmul(g, y, t);
  const x = gemm(g, vw, gemm(g, wv, z, undefined, { transA: true }), matmul(g, a, z), { alpha: -1 });
  const c = gemm(g, t, gemm(g, y, x, undefined, { transA: true }), undefined, { transA: true });
  g.output(gemm(g, y, c, x, { alpha: -0.5 }), "out");
  return g;
}

function lowRankUpdateGraph(): Graph {
  const g = new Graph("low_rank_update");
  const a = input(g, "a", "m", "m"), vw = input(g, "vw", "m", "r"), wv = input(g, "wv", "m", "r");
  const start = g.input("start", "int64", [2]), rowStart = g.input("row_start", "int64", [2]);
  const at = (x: Value) => tail(g, x, rowStart, "n", "r");
  g.output(gemm(g, at(vw), at(wv), tail(g, a, start, "n"), { alpha: -1, transB: true }), "out");
  return g;
}

const BUILDERS = {
  product: () => productGraph(false),
  productTA: () => productGraph(true),
  sandwich: sandwichGraph,
  schur: schurGraph,
  lowRankColumns: lowRankColumnsGraph,
  panelUpdate: panelUpdateGraph,
  lowRankUpdate: lowRankUpdateGraph,
};

/** Lazily built float64 sessions for the kernels above. */
export class Float64Kernels {
  private readonly sessions = new Map<keyof typeof BUILDERS, Promise<Session>>();
  constructor(private readonly options: SessionOptions = {}) {}

  private async run(kind: keyof typeof BUILDERS, feeds: Record<string, Tensor>): Promise<Matrix> {
    let s = this.sessions.get(kind);
    if (!s) this.sessions.set(kind, s = Session.create(BUILDERS[kind](), new Map(), this.options));
    const r = await (await s).run(feeds);
    return matrixOf(Object.values(r)[0]);
  }

  /** `A · B`, or `Aᵀ · B` with `transposeA`. */
  product(a: Matrix, b: Matrix, transposeA = false): Promise<Matrix> {
    return this.run(transposeA ? "productTA" : "product", { a: f64(a), b: f64(b) });
  }

  /** `Lᵀ S L` (the n × r product stays inside ONNX Runtime). */
  sandwich(l: Matrix, s: Matrix): Promise<Matrix> {
    return this.run("sandwich", { l: f64(l), s: f64(s) });
  }

  /** Rows `keep` of `W − L_rows L_allᵀ`… precisely `W[keep, :] − L_rows · L_allᵀ` (L_rows: keep.length × k). */
  schur(w: Matrix, keep: ArrayLike<number>, lRows: Matrix, lAll: Matrix): Promise<Matrix> {
    return this.run("schur", { w: f64(w), keep: i64(keep), l_rows: f64(lRows), l_all: f64(lAll) });
  }

  /** Columns `cols` of `A − [V W]·[W V]ᵀ` (m × cols.length). */
  lowRankColumns(a: Matrix, vw: Matrix, wv: Matrix, cols: ArrayLike<number>): Promise<Matrix> {
    return this.run("lowRankColumns", { a: f64(a), vw: f64(vw), wv: f64(wv), cols: i64(cols) });
  }

  /** `X − ½ Y (Tᵀ Yᵀ X)` with `X = (A − [V W]·[W V]ᵀ) · Y T`: a panel's columns of W. */
  panelUpdate(a: Matrix, vw: Matrix, wv: Matrix, y: Matrix, t: Matrix): Promise<Matrix> {
    return this.run("panelUpdate", { a: f64(a), vw: f64(vw), wv: f64(wv), y: f64(y), t: f64(t) });
  }

  /** `(A − [V W]·[W V]ᵀ)[start:, start:]`. */
  lowRankUpdate(a: Matrix, vw: Matrix, wv: Matrix, start: number): Promise<Matrix> {
    return this.run("lowRankUpdate", {
      a: f64(a),
      vw: f64(vw),
      wv: f64(wv),
      start: i64([start, start]),
      row_start: i64([start, 0]),
    });
  }

  /** Frees the sessions. */
  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
  }
}
