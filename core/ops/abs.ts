/**
 * ONNX `Abs`: |x|.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { unary } from "./_elementwise.ts";
import { f32, type OpDef } from "./op.ts";
import { mul } from "./mul.ts";
import { sign } from "./sign.ts";

/** |x|. */
export function abs(g: Graph, x: Value): Value {
  return unary(g, "Abs", x);
}

export const def: OpDef = {
  key: "Abs",
  type: "Abs",
  emit: (g, [x]) => [abs(g, x)],
  cases: [{ name: "values", inputs: [f32([4], [0, 0.5, -1, 2])], expected: [f32([4], [0, 0.5, 1, 2])] }],
  vjp: (g, { inputs: [x] }, [dy]) => [mul(g, dy!, sign(g, x))],
  gradCases: [{ name: "away from 0", inputs: [f32([4], [-0.7, -0.2, 0.3, 0.9])] }],
};
