/**
 * ONNX `Round`: to the nearest integer, ties to even (as numpy, jnp.round and
 * torch.round). Its derivative is zero almost everywhere, so it carries no
 * gradient; quantizers wrap it in a straight-through estimator.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { unary } from "./_elementwise.ts";
import { f32, type OpDef } from "./op.ts";

/** round(x), halves to even. */
export function round(g: Graph, x: Value): Value {
  return unary(g, "Round", x);
}

export const def: OpDef = {
  key: "Round",
  type: "Round",
  emit: (g, [x]) => [round(g, x)],
  cases: [{
    name: "ties to even",
    inputs: [f32([7], [0.5, 1.5, 2.5, -0.5, -1.5, 1.2, -2.7])],
    expected: [f32([7], [0, 2, 2, -0, -2, 1, -3])],
  }],
  vjp: null,
  gradCases: [],
};
