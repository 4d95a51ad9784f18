/**
 * ONNX `Log`: the natural logarithm.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { unary } from "./_elementwise.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { div } from "./div.ts";

/** the natural logarithm. */
export function log(g: Graph, x: Value): Value {
  return unary(g, "Log", x);
}

export const def: OpDef = {
  key: "Log",
  type: "Log",
  emit: (g, [x]) => [log(g, x)],
  cases: [{
    name: "values",
    inputs: [f32([4], [1, 0.5, 2, 10])],
    expected: [f32([4], [0, -0.6931471805599453, 0.6931471805599453, 2.302585092994046])],
  }],
  vjp: (g, { inputs: [x] }, [dy]) => [div(g, dy!, x)],
  gradCases: [{ name: "positive", inputs: [rnd([5], 1, 2)] }],
};
