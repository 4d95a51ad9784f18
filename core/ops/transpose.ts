/**
 * ONNX `Transpose`: permutes axes.
 * @module
 */
import { type Graph, ints, type Value } from "../graph/graph.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { intsAttr, transposedFrom } from "./_grad/rule.ts";

/** Output axis i is input axis perm[i]. */
export function transpose(g: Graph, x: Value, perm: number[]): Value {
  if (perm.length !== x.shape.length) throw new Error(`Transpose: perm [${perm}] for rank ${x.shape.length}`);
  return g.addNode("Transpose", [x], { perm: ints(perm) }, [{
    dtype: x.dtype,
    shape: perm.map((p) => x.shape[p]),
  }])[0];
}

export const def: OpDef = {
  key: "Transpose",
  type: "Transpose",
  emit: (g, [x], o) => [transpose(g, x, o.perm)],
  cases: [{
    name: "2x3 -> 3x2",
    inputs: [f32([2, 3], [1, 2, 3, 4, 5, 6])],
    options: { perm: [1, 0] },
    expected: [f32([3, 2], [1, 4, 2, 5, 3, 6])],
  }],
  vjp: (g, ctx, [dy]) => {
    const perm = intsAttr(ctx, "perm", []);
    // A gradient a rule produced as Transpose(z, perm) (see MatMul's) comes back as z itself.
    const z = transposedFrom(g, dy!, perm);
    if (z) return [z];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [transpose(g, dy!, inverse)];
  },
  gradCases: [{ name: "3-D", inputs: [rnd([2, 3, 4], 1)], options: { perm: [2, 0, 1] } }],
};
