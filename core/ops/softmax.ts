/**
 * ONNX `Softmax` (opset 13): along one axis.
 * @module
 */
import { type Graph, int, type Value } from "../graph/graph.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { mul } from "./mul.ts";
import { sub } from "./sub.ts";
import { reduceSum } from "./reduce_sum.ts";
import { intAttr } from "./_grad/rule.ts";

/** exp(x) / Σ exp(x) along `axis`. */
export function softmax(g: Graph, x: Value, axis = -1): Value {
  return g.addNode("Softmax", [x], { axis: int(axis) }, [{ dtype: x.dtype, shape: x.shape }])[0];
}

export const def: OpDef = {
  key: "Softmax",
  type: "Softmax",
  emit: (g, [x], o) => [softmax(g, x, o?.axis ?? -1)],
  cases: [
    {
      name: "last axis",
      inputs: [f32([2, 2], [0, Math.log(3), 5, 5])],
      expected: [f32([2, 2], [0.25, 0.75, 0.5, 0.5])],
    },
    {
      name: "axis 0",
      inputs: [f32([2, 1], [0, Math.log(3)])],
      options: { axis: 0 },
      expected: [f32([2, 1], [0.25, 0.75])],
    },
  ],
  // dx = y·(dy − Σ dy·y)
  vjp: (g, ctx, [dy]) => {
    const y = ctx.outputs[0];
    const s = reduceSum(g, mul(g, dy!, y), [intAttr(ctx, "axis", -1)], true);
    return [mul(g, y, sub(g, dy!, s))];
  },
  gradCases: [{ name: "rows", inputs: [rnd([2, 3], 1)] }, {
    name: "axis 0",
    inputs: [rnd([3, 2], 2)],
    options: { axis: 0 },
  }],
};
