/**
 * ONNX `Sigmoid`: the logistic function 1 / (1 + e^-x).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { unary } from "./_elementwise.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { scalar } from "./_grad/rule.ts";
import { mul } from "./mul.ts";
import { sub } from "./sub.ts";

/** the logistic function 1 / (1 + e^-x). */
export function sigmoid(g: Graph, x: Value): Value {
  return unary(g, "Sigmoid", x);
}

export const def: OpDef = {
  key: "Sigmoid",
  type: "Sigmoid",
  emit: (g, [x]) => [sigmoid(g, x)],
  cases: [{
    name: "values",
    inputs: [f32([4], [0, 0.5, -1, 2])],
    expected: [f32([4], [0.5, 0.6224593312018546, 0.2689414213699951, 0.8807970779778823])],
  }],
  vjp: (g, { outputs: [y] }, [dy]) => [mul(g, dy!, mul(g, y, sub(g, scalar(g, y, 1), y)))],
  gradCases: [{ name: "values", inputs: [rnd([5], 1)] }],
};
