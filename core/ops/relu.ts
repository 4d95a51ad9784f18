/**
 * ONNX `Relu`: max(x, 0).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { unary } from "./_elementwise.ts";
import { f32, type OpDef } from "./op.ts";
import { scalar } from "./_grad/rule.ts";
import { where } from "./where.ts";
import { greater } from "./greater.ts";

/** max(x, 0). */
export function relu(g: Graph, x: Value): Value {
  return unary(g, "Relu", x);
}

export const def: OpDef = {
  key: "Relu",
  type: "Relu",
  emit: (g, [x]) => [relu(g, x)],
  cases: [{ name: "values", inputs: [f32([4], [0, 0.5, -1, 2])], expected: [f32([4], [0, 0.5, 0, 2])] }],
  vjp: (g, { inputs: [x] }, [dy]) => [where(g, greater(g, x, scalar(g, x, 0)), dy!, scalar(g, x, 0))],
  gradCases: [{ name: "away from 0", inputs: [f32([4], [-0.7, -0.2, 0.3, 0.9])] }],
};
