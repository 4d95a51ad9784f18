/**
 * ONNX `Pow`: elementwise power, with numpy broadcasting.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { binary } from "./_elementwise.ts";
import { f32, type OpDef } from "./op.ts";

/** `a ** b` elementwise. */
export function pow(g: Graph, a: Value, b: Value): Value {
  return binary(g, "Pow", a, b);
}

export const def: OpDef = {
  type: "Pow",
  emit: (g, [a, b]) => [pow(g, a, b)],
  cases: [
    {
      name: "broadcast row",
      inputs: [f32([2, 2], [1, 2, 3, 4]), f32([2], [2, 0.5])],
      expected: [f32([2, 2], [1, 1.4142135623730951, 9, 2])],
    },
    { name: "scalar", inputs: [f32([3], [1, 2, 3]), f32([], [2])], expected: [f32([3], [1, 4, 9])] },
  ],
};
