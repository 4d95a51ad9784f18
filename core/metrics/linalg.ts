/**
 * Float64 dense-matrix kernels on ONNX Runtime, for the Fréchet distance:
 * ORT's CPU MatMul does double precision at tens of GFLOP/s, a hundred times
 * plain JavaScript loops, so every O(n³) step of the eigenvalue and
 * factorisation code goes through one of these graphs:
 *
 * - `product`: `A · B` (optionally `Aᵀ · B`);
 * - `schur`: `W[i, i] − L Lᵀ` for an index list `i` (blocked Cholesky's trailing update);
 * - `reflect`: `Qᵀ A Q` for a block reflector `Q = I − Y T Yᵀ` (band reduction).
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
import { concat, gather, gemm, matmul, mul, sub, transpose } from "../ops/mod.ts";
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
const half = (g: Graph) => g.constant({ dtype: "float64", shape: [], data: Float64Array.of(0.5) }, "half");
const tr = (g: Graph, v: Value) => transpose(g, v, [1, 0]);

function productGraph(transposeA: boolean): Graph {
  const g = new Graph(transposeA ? "product_ta" : "product");
  const a = input(g, "a", transposeA ? "k" : "m", transposeA ? "m" : "k");
  const b = input(g, "b", "k", "n");
  g.output(matmul(g, transposeA ? tr(g, a) : a, b), "c");
  return g;
}

function schurGraph(): Graph {
  const g = new Graph("schur");
  const w = input(g, "w", "m", "m");
  const idx = g.input("idx", "int64", ["r"]);
  const l = input(g, "l", "r", "k");
  const kept = gather(g, gather(g, w, idx, 0), idx, 1);
  g.output(gemm(g, l, l, kept, { alpha: -1, transB: true }), "out");
  return g;
}

function reflectGraph(): Graph {
  // Qᵀ A Q = A − [Y W]·[W Y]ᵀ with X = A Y T, W = X − ½ Y (Tᵀ Yᵀ X).
  const g = new Graph("reflect");
  const a = input(g, "a", "m", "m");
  const y = input(g, "y", "m", "r");
  const t = input(g, "t", "r", "r");
  const x = matmul(g, a, matmul(g, y, t));
  const c = matmul(g, tr(g, t), matmul(g, tr(g, y), x));
  const w = sub(g, x, mul(g, matmul(g, y, c), half(g)));
  g.output(gemm(g, concat(g, [y, w], 1), concat(g, [w, y], 1), a, { alpha: -1, transB: true }), "out");
  return g;
}

const BUILDERS = {
  product: () => productGraph(false),
  productTA: () => productGraph(true),
  schur: schurGraph,
  reflect: reflectGraph,
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

  /** `W[idx, idx] − L Lᵀ` (L is idx.length × k). */
  schur(w: Matrix, idx: ArrayLike<number>, l: Matrix): Promise<Matrix> {
    return this.run("schur", { w: f64(w), idx: i64(idx), l: f64(l) });
  }

  /** `Qᵀ A Q` with `Q = I − Y T Yᵀ` (Y is m × r, T r × r upper triangular). */
  reflect(a: Matrix, y: Matrix, t: Matrix): Promise<Matrix> {
    return this.run("reflect", { a: f64(a), y: f64(y), t: f64(t) });
  }

  /** Frees the sessions. */
  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
  }
}
