/**
 * ONNX `Neg`: -x.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { unary } from "./_elementwise.ts";
import { f32, type OpDef, rnd } from "./op.ts";

/** -x. */
export function neg(g: Graph, x: Value): Value {
  return unary(g, "Neg", x);
}

export const def: OpDef = {
  key: "Neg",
  type: "Neg",
  emit: (g, [x]) => [neg(g, x)],
  cases: [{ name: "values", inputs: [f32([4], [0, 0.5, -1, 2])], expected: [f32([4], [0, -0.5, 1, -2])] }],
  vjp: (g, _ctx, [dy]) => [neg(g, dy!)],
  gradCases: [{ name: "values", inputs: [rnd([5], 1)] }],
};
