/**
 * ONNX `Unsqueeze`: inserts size-1 axes.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { f32, i64const, type OpDef, rnd } from "./op.ts";
import { reshape } from "./reshape.ts";

/** Inserts a size-1 axis at each of `axes` (positions in the output). */
export function unsqueeze(g: Graph, x: Value, axes: number[]): Value {
  const rank = x.shape.length + axes.length;
  const at = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  const src = [...x.shape];
  const shape = Array.from({ length: rank }, (_, i) => (at.has(i) ? 1 : src.shift()!));
  return g.addNode("Unsqueeze", [x, i64const(g, axes, "axes")], {}, [{ dtype: x.dtype, shape }])[0];
}

export const def: OpDef = {
  key: "Unsqueeze",
  type: "Unsqueeze",
  emit: (g, [x], o) => [unsqueeze(g, x, o.axes)],
  cases: [{
    name: "front",
    inputs: [f32([2], [1, 2])],
    options: { axes: [0, 2] },
    expected: [f32([1, 2, 1], [1, 2])],
  }],
  vjp: (g, { inputs: [x] }, [dy]) => [reshape(g, dy!, x.shape), undefined],
  gradCases: [{ name: "front", inputs: [rnd([2], 1)], options: { axes: [0] } }],
};
