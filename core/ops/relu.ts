/**
 * ONNX `Relu`: max(x, 0).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { unary } from "./_elementwise.ts";
import { f32, type OpDef } from "./op.ts";

/** max(x, 0). */
export function relu(g: Graph, x: Value): Value {
  return unary(g, "Relu", x);
}

export const def: OpDef = {
  type: "Relu",
  emit: (g, [x]) => [relu(g, x)],
  cases: [{ name: "values", inputs: [f32([4], [0, 0.5, -1, 2])], expected: [f32([4], [0, 0.5, 0, 2])] }],
};
