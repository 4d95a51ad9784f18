/**
 * ONNX `Add`: elementwise sum, with numpy broadcasting.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { binary } from "./_elementwise.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { unbroadcast } from "./_grad/unbroadcast.ts";

/** `a + b` elementwise. */
export function add(g: Graph, a: Value, b: Value): Value {
  return binary(g, "Add", a, b);
}

export const def: OpDef = {
  key: "Add",
  type: "Add",
  emit: (g, [a, b]) => [add(g, a, b)],
  cases: [
    {
      name: "broadcast row",
      inputs: [f32([2, 2], [1, 2, 3, 4]), f32([2], [10, 20])],
      expected: [f32([2, 2], [11, 22, 13, 24])],
    },
    { name: "scalar", inputs: [f32([3], [1, 2, 3]), f32([], [2])], expected: [f32([3], [3, 4, 5])] },
  ],
  vjp: (g, { inputs: [a, b] }, [dy]) => [unbroadcast(g, dy!, a.shape), unbroadcast(g, dy!, b.shape)],
  gradCases: [{ name: "broadcast", inputs: [rnd([2, 3], 1), rnd([3], 2)] }],
};
