/**
 * ONNX `Split` (opset 18): cuts one axis into pieces of given sizes.
 * @module
 */
import { type Graph, int, type Value } from "../graph/graph.ts";
import { axis as norm, fmt } from "../graph/shape.ts";
import { f32, i64const, type OpDef, rnd } from "./op.ts";
import { concat } from "./concat.ts";
import { intAttr, scalar } from "./_grad/rule.ts";
import { mul } from "./mul.ts";

/** Splits `x` along `axis` into parts of `sizes` (which must add up to the axis length). */
export function split(g: Graph, x: Value, axis: number, sizes: number[]): Value[] {
  const a = norm(axis, x.shape.length, "Split");
  if (sizes.reduce((p, q) => p + q, 0) !== x.shape[a]) {
    throw new Error(`Split: sizes [${sizes}] do not add up to axis ${axis} of ${fmt(x.shape)}`);
  }
  const outs = sizes.map((s) => {
    const shape = [...x.shape];
    shape[a] = s;
    return { dtype: x.dtype, shape };
  });
  return g.addNode("Split", [x, i64const(g, sizes, "split")], { axis: int(a) }, outs);
}

export const def: OpDef = {
  key: "Split",
  type: "Split",
  emit: (g, [x], o) => split(g, x, o.axis, o.sizes),
  cases: [{
    name: "1 + 2 along axis 1",
    inputs: [f32([2, 3], [1, 2, 3, 4, 5, 6])],
    options: { axis: 1, sizes: [1, 2] },
    expected: [f32([2, 1], [1, 4]), f32([2, 2], [2, 3, 5, 6])],
  }],
  vjp: (g, ctx, dys) => {
    // Outputs without a gradient contribute zeros of their shape.
    const parts = dys.map((d, i) => d ?? mul(g, ctx.outputs[i], scalar(g, ctx.outputs[i], 0)));
    return [concat(g, parts, intAttr(ctx, "axis", 0)), undefined];
  },
  gradCases: [{ name: "1 + 2", inputs: [rnd([2, 3], 1)], options: { axis: 1, sizes: [1, 2] } }],
};
