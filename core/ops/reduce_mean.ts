/**
 * ONNX `ReduceMean` (opset 18).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { reduce } from "./_reduce.ts";
import { broadcastReducedGrad, reducedCount } from "./_grad/reduce_grad.ts";
import { scalar } from "./_grad/rule.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { mul } from "./mul.ts";

/** Mean over `axes`. */
export function reduceMean(g: Graph, x: Value, axes: number[], keepdims = true): Value {
  return reduce(g, "ReduceMean", x, axes, keepdims);
}

export const def: OpDef = {
  key: "ReduceMean",
  type: "ReduceMean",
  emit: (g, [x], o) => [reduceMean(g, x, o.axes, o.keepdims ?? true)],
  cases: [{
    name: "columns",
    inputs: [f32([2, 2], [1, 2, 3, 6])],
    options: { axes: [0] },
    expected: [f32([1, 2], [2, 4])],
  }],
  vjp: (g, ctx, [dy]) => {
    const scale = scalar(g, ctx.inputs[0], 1 / reducedCount(ctx, "ReduceMean"));
    return [mul(g, broadcastReducedGrad(g, ctx, dy!), scale), undefined];
  },
  gradCases: [{ name: "columns", inputs: [rnd([2, 3], 1)], options: { axes: [0] } }],
};
