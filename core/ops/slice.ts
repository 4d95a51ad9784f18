/**
 * ONNX `Slice`: a [start, end) range along one axis (step 1).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { axis as norm, fmt } from "../graph/shape.ts";
import { f32, i64const, type OpDef, rnd } from "./op.ts";
import { pad } from "./pad.ts";

/** `x[..., start:end, ...]` along `axis`. */
export function slice(g: Graph, x: Value, axis: number, start: number, end: number): Value {
  const a = norm(axis, x.shape.length, "Slice");
  const d = x.shape[a];
  if (typeof d !== "number" || start < 0 || end > d || start >= end) {
    throw new Error(`Slice: [${start}, ${end}) on axis ${axis} of ${x.name}${fmt(x.shape)}`);
  }
  const shape = [...x.shape];
  shape[a] = end - start;
  const inputs = [x, i64const(g, [start], "starts"), i64const(g, [end], "ends"), i64const(g, [a], "axes")];
  return g.addNode("Slice", inputs, {}, [{ dtype: x.dtype, shape }])[0];
}

export const def: OpDef = {
  key: "Slice",
  type: "Slice",
  emit: (g, [x], o) => [slice(g, x, o.axis, o.start, o.end)],
  cases: [{
    name: "columns 1..3",
    inputs: [f32([2, 3], [1, 2, 3, 4, 5, 6])],
    options: { axis: 1, start: 1, end: 3 },
    expected: [f32([2, 2], [2, 3, 5, 6])],
  }],
  vjp: (g, ctx, [dy]) => {
    const [start] = ctx.constant(1)!;
    const [axis] = ctx.constant(3)!;
    const n = ctx.inputs[0].shape[axis] as number;
    const end = start + (dy!.shape[axis] as number);
    return [pad(g, dy!, axis, start, n - end)];
  },
  gradCases: [{ name: "middle columns", inputs: [rnd([2, 4], 1)], options: { axis: 1, start: 1, end: 3 } }],
};
