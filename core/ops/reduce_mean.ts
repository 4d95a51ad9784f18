/**
 * ONNX `ReduceMean` (opset 18).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { reduce } from "./_reduce.ts";
import { f32, type OpDef } from "./op.ts";

/** Mean over `axes`. */
export function reduceMean(g: Graph, x: Value, axes: number[], keepdims = true): Value {
  return reduce(g, "ReduceMean", x, axes, keepdims);
}

export const def: OpDef = {
  type: "ReduceMean",
  emit: (g, [x], o) => [reduceMean(g, x, o.axes, o.keepdims ?? true)],
  cases: [{
    name: "columns",
    inputs: [f32([2, 2], [1, 2, 3, 6])],
    options: { axes: [0] },
    expected: [f32([1, 2], [2, 4])],
  }],
};
