/**
 * ONNX `ReduceSumSquare` (opset 18): Σ x² in one pass (the global gradient
 * norm of the train step reads each gradient once with it).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { reduce } from "./_reduce.ts";
import { broadcastReducedGrad } from "./_grad/reduce_grad.ts";
import { scalar } from "./_grad/rule.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { mul } from "./mul.ts";

/** Σ x² over `axes`. */
export function reduceSumSquare(g: Graph, x: Value, axes: number[], keepdims = true): Value {
  return reduce(g, "ReduceSumSquare", x, axes, keepdims);
}

export const def: OpDef = {
  key: "ReduceSumSquare",
  type: "ReduceSumSquare",
  emit: (g, [x], o) => [reduceSumSquare(g, x, o.axes, o.keepdims ?? true)],
  cases: [
    {
      name: "rows",
      inputs: [f32([2, 3], [1, 2, 3, -4, 5, 6])],
      options: { axes: [1] },
      expected: [f32([2, 1], [14, 77])],
    },
    {
      name: "all, dropped",
      inputs: [f32([2, 2], [1, -2, 3, 4])],
      options: { axes: [0, 1], keepdims: false },
      expected: [f32([], [30])],
    },
  ],
  // dx = 2·x·dy, dy broadcast back over the reduced axes.
  vjp: (g, ctx, [dy]) => {
    const x = ctx.inputs[0];
    return [mul(g, mul(g, x, scalar(g, x, 2)), broadcastReducedGrad(g, ctx, dy!)), undefined];
  },
  gradCases: [
    { name: "rows", inputs: [rnd([2, 3], 1)], options: { axes: [1] } },
    { name: "all, dropped", inputs: [rnd([2, 2], 2)], options: { axes: [0, 1], keepdims: false } },
  ],
};
