/**
 * ONNX `Sub`: elementwise difference, with numpy broadcasting.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { binary } from "./_elementwise.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { unbroadcast } from "./_grad/unbroadcast.ts";
import { neg } from "./neg.ts";

/** `a - b` elementwise. */
export function sub(g: Graph, a: Value, b: Value): Value {
  return binary(g, "Sub", a, b);
}

export const def: OpDef = {
  key: "Sub",
  type: "Sub",
  emit: (g, [a, b]) => [sub(g, a, b)],
  cases: [
    {
      name: "broadcast row",
      inputs: [f32([2, 2], [1, 2, 3, 4]), f32([2], [10, 20])],
      expected: [f32([2, 2], [-9, -18, -7, -16])],
    },
    { name: "scalar", inputs: [f32([3], [1, 2, 3]), f32([], [2])], expected: [f32([3], [-1, 0, 1])] },
  ],
  vjp: (g, { inputs: [a, b] }, [dy]) => [unbroadcast(g, dy!, a.shape), unbroadcast(g, neg(g, dy!), b.shape)],
  gradCases: [{ name: "broadcast", inputs: [rnd([2, 3], 1), rnd([2, 1], 2)] }],
};
