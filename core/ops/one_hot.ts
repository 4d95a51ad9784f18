/**
 * ONNX `OneHot`: integer indices → one-hot rows on a new last axis (used by
 * the Gather gradient and cross-entropy). Integer inputs carry no gradient.
 * @module
 */
import { type Graph, int, type Value } from "../graph/graph.ts";
import type { DType } from "../tensor.ts";
import { f32, i64const, type OpDef, t } from "./op.ts";

/** (…) int64 → (…, depth) of 0/1 in `dtype`. */
export function oneHot(g: Graph, indices: Value, depth: number, dtype: DType = "float32"): Value {
  const values = dtype === "float64"
    ? g.constant({ dtype: "float64", shape: [2], data: Float64Array.of(0, 1) }, "onehot")
    : g.constant(f32([2], [0, 1]), "onehot");
  return g.addNode("OneHot", [indices, i64const(g, [depth], "depth"), values], { axis: int(-1) }, [
    { dtype, shape: [...indices.shape, depth] },
  ])[0];
}

export const def: OpDef = {
  key: "OneHot",
  type: "OneHot",
  emit: (g, [i], o) => [oneHot(g, i, o.depth)],
  cases: [{
    name: "depth 3",
    inputs: [t("int64", [2], [2, 0])],
    options: { depth: 3 },
    expected: [f32([2, 3], [0, 0, 1, 1, 0, 0])],
  }],
  vjp: null,
  gradCases: [],
};
