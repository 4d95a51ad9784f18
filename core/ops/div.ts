/**
 * ONNX `Div`: elementwise quotient, with numpy broadcasting.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { binary } from "./_elementwise.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { unbroadcast } from "./_grad/unbroadcast.ts";
import { mul } from "./mul.ts";
import { neg } from "./neg.ts";

/** `a / b` elementwise. */
export function div(g: Graph, a: Value, b: Value): Value {
  return binary(g, "Div", a, b);
}

export const def: OpDef = {
  key: "Div",
  type: "Div",
  emit: (g, [a, b]) => [div(g, a, b)],
  cases: [
    {
      name: "broadcast row",
      inputs: [f32([2, 2], [1, 2, 3, 4]), f32([2], [2, 4])],
      expected: [f32([2, 2], [0.5, 0.5, 1.5, 1])],
    },
    { name: "scalar", inputs: [f32([3], [1, 2, 3]), f32([], [2])], expected: [f32([3], [0.5, 1, 1.5])] },
  ],
  vjp: (g, { inputs: [a, b], outputs: [y] }, [dy]) => [
    unbroadcast(g, div(g, dy!, b), a.shape),
    unbroadcast(g, neg(g, div(g, mul(g, dy!, y), b)), b.shape),
  ],
  gradCases: [{ name: "broadcast", inputs: [rnd([2, 3], 1), rnd([3], 2, 3)] }],
};
