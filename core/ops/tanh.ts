/**
 * ONNX `Tanh`: the hyperbolic tangent.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { unary } from "./_elementwise.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { scalar } from "./_grad/rule.ts";
import { mul } from "./mul.ts";
import { sub } from "./sub.ts";

/** the hyperbolic tangent. */
export function tanh(g: Graph, x: Value): Value {
  return unary(g, "Tanh", x);
}

export const def: OpDef = {
  key: "Tanh",
  type: "Tanh",
  emit: (g, [x]) => [tanh(g, x)],
  cases: [{
    name: "values",
    inputs: [f32([4], [0, 0.5, -1, 2])],
    expected: [f32([4], [0, 0.46211715726000974, -0.7615941559557649, 0.9640275800758169])],
  }],
  vjp: (g, { outputs: [y] }, [dy]) => [mul(g, dy!, sub(g, scalar(g, y, 1), mul(g, y, y)))],
  gradCases: [{ name: "values", inputs: [rnd([5], 1)] }],
};
