/**
 * ONNX `Pad` (constant zeros) along one axis: the gradient of Slice.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { axis as norm } from "../graph/shape.ts";
import { slice } from "./slice.ts";
import { f32, i64const, type OpDef, rnd } from "./op.ts";

/** Adds `before` zeros in front of and `after` zeros behind axis `axis`. */
export function pad(g: Graph, x: Value, axis: number, before: number, after: number): Value {
  const a = norm(axis, x.shape.length, "Pad");
  const pads = new Array(2 * x.shape.length).fill(0);
  pads[a] = before;
  pads[a + x.shape.length] = after;
  const shape = [...x.shape];
  shape[a] = (shape[a] as number) + before + after;
  return g.addNode("Pad", [x, i64const(g, pads, "pads")], {}, [{ dtype: x.dtype, shape }])[0];
}

export const def: OpDef = {
  key: "Pad",
  type: "Pad",
  emit: (g, [x], o) => [pad(g, x, o.axis, o.before, o.after)],
  cases: [{
    name: "columns",
    inputs: [f32([2, 1], [1, 2])],
    options: { axis: 1, before: 1, after: 2 },
    expected: [f32([2, 4], [0, 1, 0, 0, 0, 2, 0, 0])],
  }],
  vjp: (g, ctx, [dy]) => {
    const x = ctx.inputs[0];
    const pads = ctx.constant(1)!;
    const a = pads.findIndex((p, i) => i < x.shape.length && (p !== 0 || pads[i + x.shape.length] !== 0));
    const at = Math.max(a, 0);
    return [slice(g, dy!, at, pads[at], pads[at] + (x.shape[at] as number)), undefined];
  },
  gradCases: [{ name: "columns", inputs: [rnd([2, 2], 1)], options: { axis: 1, before: 1, after: 2 } }],
};
