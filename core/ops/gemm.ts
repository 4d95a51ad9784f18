/**
 * ONNX `Gemm`: `alpha · op(A) · op(B) + beta · C` for 2-D operands, where
 * op transposes when asked. One kernel call instead of MatMul + Mul + Add
 * (the float64 linear algebra of core/metrics uses it for rank-k updates).
 * @module
 */
import { float, type Graph, int, type Value } from "../graph/graph.ts";
import { fmt } from "../graph/shape.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { mul } from "./mul.ts";
import { floatAttr, intAttr, scalar } from "./_grad/rule.ts";
import { unbroadcast } from "./_grad/unbroadcast.ts";

/** Options of {@link gemm}. */
export interface GemmOptions {
  alpha?: number;
  beta?: number;
  transA?: boolean;
  transB?: boolean;
}

/** `alpha · op(a) · op(b) + beta · c` (c broadcasts to the product's shape). */
export function gemm(g: Graph, a: Value, b: Value, c: Value | undefined, o: GemmOptions = {}): Value {
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw new Error(`Gemm: ${fmt(a.shape)} · ${fmt(b.shape)}`);
  }
  const m = o.transA ? a.shape[1] : a.shape[0];
  const n = o.transB ? b.shape[0] : b.shape[1];
  return g.addNode("Gemm", [a, b, c], {
    alpha: float(o.alpha ?? 1),
    beta: float(o.beta ?? 1),
    transA: int(o.transA ? 1 : 0),
    transB: int(o.transB ? 1 : 0),
  }, [{ dtype: a.dtype, shape: [m, n] }])[0];
}

export const def: OpDef = {
  key: "Gemm",
  type: "Gemm",
  emit: (g, [a, b, c], o) => [gemm(g, a, b, c, o)],
  cases: [
    {
      // C − A·Bᵀ: [[1,2],[3,4]]·[[1,0],[1,1]]ᵀ = [[1,3],[3,7]]; 10 − that.
      name: "rank-k update: -A·Bᵀ + C",
      inputs: [f32([2, 2], [1, 2, 3, 4]), f32([2, 2], [1, 0, 1, 1]), f32([2, 2], [10, 10, 10, 10])],
      options: { alpha: -1, beta: 1, transB: true },
      expected: [f32([2, 2], [9, 7, 7, 3])],
    },
    {
      // 2·Aᵀ·B: Aᵀ = [[1],[2]], B = [[3, 4]] → [[6, 8], [12, 16]].
      name: "2·Aᵀ·B, no C",
      inputs: [f32([1, 2], [1, 2]), f32([1, 2], [3, 4])],
      options: { alpha: 2, transA: true },
      expected: [f32([2, 2], [6, 8, 12, 16])],
    },
  ],
  // With P = op(A), Q = op(B): dP = α·dY·Qᵀ, dQ = α·Pᵀ·dY, each transposed back when op transposes.
  vjp: (g, ctx, [dy]) => {
    const [a, b, c] = ctx.inputs;
    const alpha = floatAttr(ctx, "alpha", 1);
    const beta = floatAttr(ctx, "beta", 1);
    const ta = intAttr(ctx, "transA", 0) === 1;
    const tb = intAttr(ctx, "transB", 0) === 1;
    const da = ta
      ? gemm(g, b, dy!, undefined, { alpha, transA: tb, transB: true })
      : gemm(g, dy!, b, undefined, { alpha, transB: !tb });
    const db = tb
      ? gemm(g, dy!, a, undefined, { alpha, transA: true, transB: ta })
      : gemm(g, a, dy!, undefined, { alpha, transA: !ta });
    const dc = c ? unbroadcast(g, mul(g, dy!, scalar(g, dy!, beta)), c.shape) : undefined;
    return [da, db, dc];
  },
  gradCases: [
    {
      name: "plain with C",
      inputs: [rnd([2, 3], 1), rnd([3, 4], 2), rnd([4], 3)],
      options: { alpha: 0.5, beta: 2 },
    },
    {
      name: "transA, transB",
      inputs: [rnd([3, 2], 4), rnd([4, 3], 5), rnd([2, 4], 6)],
      options: { alpha: -1, transA: true, transB: true },
    },
  ],
};
