/**
 * ONNX `ReduceMean` (opset 18).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { reduce } from "./_reduce.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { expand } from "./expand.ts";
import { reshape } from "./reshape.ts";
import { mul } from "./mul.ts";
import { intAttr, scalar, staticShape } from "../autodiff/rule.ts";

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
  vjp: (g, ctx, [dy]) => {
    const x = ctx.inputs[0];
    const shape = staticShape(x, "ReduceMean");
    const axes = ctx.constant(1)!.map((a) => (a < 0 ? a + shape.length : a));
    const count = axes.reduce((n, a) => n * shape[a], 1);
    const kept = intAttr(ctx, "keepdims", 1)
      ? dy!
      : reshape(g, dy!, shape.map((d, i) => (axes.includes(i) ? 1 : d)));
    return [mul(g, expand(g, kept, shape), scalar(g, x, 1 / count)), undefined];
  },
  gradCases: [{ name: "columns", inputs: [rnd([2, 3], 1)], options: { axes: [0] } }],
};
