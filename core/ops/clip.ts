/**
 * ONNX `Clip`: clamps into [min, max].
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { f32, type OpDef } from "./op.ts";
import { where } from "./where.ts";
import { equal } from "./equal.ts";
import { scalar } from "./_grad/rule.ts";

/** min(max(x, lo), hi). */
export function clip(g: Graph, x: Value, lo: number, hi: number): Value {
  const a = g.constant(f32([], [lo]), "min");
  const b = g.constant(f32([], [hi]), "max");
  return g.addNode("Clip", [x, a, b], {}, [{ dtype: x.dtype, shape: x.shape }])[0];
}

export const def: OpDef = {
  key: "Clip",
  type: "Clip",
  emit: (g, [x], o) => [clip(g, x, o.lo, o.hi)],
  cases: [{
    name: "[0,1]",
    inputs: [f32([3], [-1, 0.5, 2])],
    options: { lo: 0, hi: 1 },
    expected: [f32([3], [0, 0.5, 1])],
  }],
  // Gradient passes where the value was not clamped.
  vjp: (
    g,
    { inputs: [x], outputs: [y] },
    [dy],
  ) => [where(g, equal(g, x, y), dy!, scalar(g, x, 0)), undefined, undefined],
  gradCases: [{
    name: "inside and outside",
    inputs: [f32([4], [-1.5, -0.3, 0.4, 2])],
    options: { lo: -1, hi: 1 },
  }],
};
