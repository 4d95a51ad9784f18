/**
 * ONNX `Identity`, and the explicit stop-gradient marker built on it:
 * `stopGradient(x)` has x's value and no gradient (the walker checks the
 * graph's `stops` set), so straight-through estimators read
 * `x + stopGradient(q − x)`.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { unary } from "./_elementwise.ts";
import { f32, type OpDef, rnd } from "./op.ts";

/** The same value under a new name. */
export function identity(g: Graph, x: Value): Value {
  return unary(g, "Identity", x);
}

/** x in the forward pass; no gradient flows back through it. */
export function stopGradient(g: Graph, x: Value): Value {
  const y = identity(g, x);
  g.stops.add(y.name);
  return y;
}

export const def: OpDef = {
  key: "Identity",
  type: "Identity",
  emit: (g, [x]) => [identity(g, x)],
  cases: [{ name: "values", inputs: [f32([2], [1, -2])], expected: [f32([2], [1, -2])] }],
  vjp: (_g, _ctx, [dy]) => [dy],
  gradCases: [{ name: "values", inputs: [rnd([3], 1)] }],
};
