/**
 * ONNX `Sign`: −1, 0 or 1; its derivative is zero almost everywhere.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { unary } from "./_elementwise.ts";
import { f32, type OpDef } from "./op.ts";

/** sign(x). */
export function sign(g: Graph, x: Value): Value {
  return unary(g, "Sign", x);
}

export const def: OpDef = {
  key: "Sign",
  type: "Sign",
  emit: (g, [x]) => [sign(g, x)],
  cases: [{ name: "values", inputs: [f32([3], [-2, 0, 0.5])], expected: [f32([3], [-1, 0, 1])] }],
  vjp: null,
  gradCases: [],
};
