/**
 * ONNX `Sqrt`: the square root.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { unary } from "./_elementwise.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { scalar } from "./_grad/rule.ts";
import { div } from "./div.ts";
import { mul } from "./mul.ts";

/** the square root. */
export function sqrt(g: Graph, x: Value): Value {
  return unary(g, "Sqrt", x);
}

export const def: OpDef = {
  key: "Sqrt",
  type: "Sqrt",
  emit: (g, [x]) => [sqrt(g, x)],
  cases: [{
    name: "values",
    inputs: [f32([4], [0, 0.25, 4, 2])],
    expected: [f32([4], [0, 0.5, 2, 1.4142135623730951])],
  }],
  vjp: (g, { outputs: [y] }, [dy]) => [div(g, dy!, mul(g, y, scalar(g, y, 2)))],
  gradCases: [{ name: "positive", inputs: [rnd([5], 1, 2)] }],
};
