/**
 * ONNX `ReduceSum` (opset 18).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { reduce } from "./_reduce.ts";
import { broadcastReducedGrad } from "./_grad/reduce_grad.ts";
import { f32, type OpDef, rnd } from "./op.ts";

/** Σ over `axes`. */
export function reduceSum(g: Graph, x: Value, axes: number[], keepdims = true): Value {
  return reduce(g, "ReduceSum", x, axes, keepdims);
}

export const def: OpDef = {
  key: "ReduceSum",
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
  vjp: (g, ctx, [dy]) => [broadcastReducedGrad(g, ctx, dy!), undefined],
  gradCases: [
    { name: "rows", inputs: [rnd([2, 3], 1)], options: { axes: [1] } },
    { name: "all, dropped", inputs: [rnd([2, 2], 2)], options: { axes: [0, 1], keepdims: false } },
  ],
};
