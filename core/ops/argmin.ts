/**
 * ONNX `ArgMin`: index of the smallest entry along an axis (first one on ties,
 * as torch.argmin). Produces int64; no gradient flows through it.
 * @module
 */
import { type Graph, int, type Value } from "../graph/graph.ts";
import { axis as norm } from "../graph/shape.ts";
import { f32, type OpDef, t } from "./op.ts";

/** argmin over `axis` (dropped unless `keepdims`). */
export function argmin(g: Graph, x: Value, axis: number, keepdims = false): Value {
  const a = norm(axis, x.shape.length, "ArgMin");
  const shape = keepdims ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a);
  return g.addNode("ArgMin", [x], {
    axis: int(a),
    keepdims: int(keepdims ? 1 : 0),
    select_last_index: int(0),
  }, [
    { dtype: "int64", shape },
  ])[0];
}

export const def: OpDef = {
  key: "ArgMin",
  type: "ArgMin",
  emit: (g, [x], o) => [argmin(g, x, o.axis)],
  cases: [{
    name: "rows, first on ties",
    inputs: [f32([2, 3], [3, 1, 2, 5, 4, 4])],
    options: { axis: 1 },
    expected: [t("int64", [2], [1, 1])],
  }],
  vjp: null,
  gradCases: [],
};
