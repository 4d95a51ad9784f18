/**
 * ONNX `Mul`: elementwise product, with numpy broadcasting.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { binary } from "./_elementwise.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { unbroadcast } from "./_grad/unbroadcast.ts";

/** `a * b` elementwise. */
export function mul(g: Graph, a: Value, b: Value): Value {
  return binary(g, "Mul", a, b);
}

export const def: OpDef = {
  key: "Mul",
  type: "Mul",
  emit: (g, [a, b]) => [mul(g, a, b)],
  cases: [
    {
      name: "broadcast row",
      inputs: [f32([2, 2], [1, 2, 3, 4]), f32([2], [10, 20])],
      expected: [f32([2, 2], [10, 40, 30, 80])],
    },
    { name: "scalar", inputs: [f32([3], [1, 2, 3]), f32([], [2])], expected: [f32([3], [2, 4, 6])] },
  ],
  vjp: (g, { inputs: [a, b] }, [dy]) => [
    unbroadcast(g, mul(g, dy!, b), a.shape),
    unbroadcast(g, mul(g, dy!, a), b.shape),
  ],
  gradCases: [{ name: "broadcast", inputs: [rnd([2, 3], 1), rnd([3], 2)] }],
};
