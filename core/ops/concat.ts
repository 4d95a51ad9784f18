/**
 * ONNX `Concat`: joins values along one axis.
 * @module
 */
import { type Graph, int, type Value } from "../graph/graph.ts";
import { axis as norm, type Dim, fmt } from "../graph/shape.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { slice } from "./slice.ts";
import { intAttr } from "./_grad/rule.ts";

/** Concatenates `xs` along `axis`; other dims must agree. */
export function concat(g: Graph, xs: Value[], axis: number): Value {
  const a = norm(axis, xs[0].shape.length, "Concat");
  const shape: Dim[] = [...xs[0].shape];
  let total: Dim = 0;
  for (const x of xs) {
    if (x.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
      throw new Error(`Concat: ${fmt(x.shape)} vs ${fmt(xs[0].shape)} along axis ${axis}`);
    }
    const d = x.shape[a];
    total = typeof d === "number" && typeof total === "number" ? total + d : `${total}+${d}`;
  }
  shape[a] = total;
  return g.addNode("Concat", xs, { axis: int(a) }, [{ dtype: xs[0].dtype, shape }])[0];
}

export const def: OpDef = {
  key: "Concat",
  type: "Concat",
  emit: (g, xs, o) => [concat(g, xs, o.axis)],
  cases: [{
    name: "axis 1",
    inputs: [f32([2, 1], [1, 2]), f32([2, 2], [3, 4, 5, 6])],
    options: { axis: 1 },
    expected: [f32([2, 3], [1, 3, 4, 2, 5, 6])],
  }],
  vjp: (g, ctx, [dy]) => {
    const axis = intAttr(ctx, "axis", 0);
    let at = 0;
    return ctx.inputs.map((x) => {
      const n = x.shape[axis] as number;
      at += n;
      return slice(g, dy!, axis, at - n, at);
    });
  },
  gradCases: [{ name: "axis 1", inputs: [rnd([2, 1], 1), rnd([2, 2], 2)], options: { axis: 1 } }],
};
