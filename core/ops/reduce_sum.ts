/**
 * ONNX `ReduceSum` (opset 18).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { reduce } from "./_reduce.ts";
import { f32, type OpDef } from "./op.ts";

/** Σ over `axes`. */
export function reduceSum(g: Graph, x: Value, axes: number[], keepdims = true): Value {
  return reduce(g, "ReduceSum", x, axes, keepdims);
}

export const def: OpDef = {
  type: "ReduceSum",
  emit: (g, [x], o) => [reduceSum(g, x, o.axes, o.keepdims ?? true)],
  cases: [
    {
      name: "rows",
      inputs: [f32([2, 3], [1, 2, 3, 4, 5, 6])],
      options: { axes: [1] },
      expected: [f32([2, 1], [6, 15])],
    },
    {
      name: "all, dropped",
      inputs: [f32([2, 2], [1, 2, 3, 4])],
      options: { axes: [0, 1], keepdims: false },
      expected: [f32([], [10])],
    },
  ],
};
