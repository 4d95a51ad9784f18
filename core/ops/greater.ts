/**
 * ONNX `Greater`: a > b, elementwise with broadcasting; a boolean result carries no gradient.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { broadcast } from "../graph/shape.ts";
import { f32, type OpDef, t } from "./op.ts";

/** a > b. */
export function greater(g: Graph, a: Value, b: Value): Value {
  return g.addNode("Greater", [a, b], {}, [{
    dtype: "bool",
    shape: broadcast(a.shape, b.shape, "Greater"),
  }])[0];
}

export const def: OpDef = {
  key: "Greater",
  type: "Greater",
  emit: (g, [a, b]) => [greater(g, a, b)],
  cases: [{
    name: "values",
    inputs: [f32([3], [1, 2, 3]), f32([3], [2, 2, 2])],
    expected: [t("bool", [3], [0, 0, 1])],
  }],
  vjp: null,
  gradCases: [],
};
