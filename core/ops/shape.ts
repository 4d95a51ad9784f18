/**
 * ONNX `Shape`: the run-time shape of a value (used for symbolic batch sizes).
 * @module
 */
import { type Graph, int, type Value } from "../graph/graph.ts";
import { f32, type OpDef, t } from "./op.ts";

/** dims[start:end] of `x` as an int64 vector. */
export function shapeOf(g: Graph, x: Value, start = 0, end = x.shape.length): Value {
  return g.addNode("Shape", [x], { start: int(start), end: int(end) }, [{
    dtype: "int64",
    shape: [end - start],
  }])[0];
}

export const def: OpDef = {
  key: "Shape",
  type: "Shape",
  emit: (g, [x], o) => [shapeOf(g, x, o?.start, o?.end)],
  cases: [{
    name: "dim 1",
    inputs: [f32([2, 3], [1, 2, 3, 4, 5, 6])],
    options: { start: 1, end: 2 },
    expected: [t("int64", [1], [3])],
  }],
  vjp: null,
  gradCases: [],
};
