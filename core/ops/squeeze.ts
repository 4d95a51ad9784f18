/**
 * ONNX `Squeeze`: removes size-1 axes.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { axis as norm } from "../graph/shape.ts";
import { f32, i64const, type OpDef, rnd } from "./op.ts";
import { reshape } from "./reshape.ts";

/** Removes the given size-1 axes. */
export function squeeze(g: Graph, x: Value, axes: number[]): Value {
  const drop = new Set(axes.map((a) => norm(a, x.shape.length, "Squeeze")));
  for (const a of drop) if (x.shape[a] !== 1) throw new Error(`Squeeze: axis ${a} of ${x.name} is not 1`);
  const shape = x.shape.filter((_, i) => !drop.has(i));
  return g.addNode("Squeeze", [x, i64const(g, [...drop], "axes")], {}, [{ dtype: x.dtype, shape }])[0];
}

export const def: OpDef = {
  key: "Squeeze",
  type: "Squeeze",
  emit: (g, [x], o) => [squeeze(g, x, o.axes)],
  cases: [{
    name: "middle",
    inputs: [f32([2, 1, 2], [1, 2, 3, 4])],
    options: { axes: [1] },
    expected: [f32([2, 2], [1, 2, 3, 4])],
  }],
  vjp: (g, { inputs: [x] }, [dy]) => [reshape(g, dy!, x.shape), undefined],
  gradCases: [{ name: "middle", inputs: [rnd([2, 1, 2], 1)], options: { axes: [1] } }],
};
