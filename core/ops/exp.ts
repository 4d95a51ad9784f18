/**
 * ONNX `Exp`: e^x.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { unary } from "./_elementwise.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { mul } from "./mul.ts";

/** e^x. */
export function exp(g: Graph, x: Value): Value {
  return unary(g, "Exp", x);
}

export const def: OpDef = {
  key: "Exp",
  type: "Exp",
  emit: (g, [x]) => [exp(g, x)],
  cases: [{
    name: "values",
    inputs: [f32([4], [0, 0.5, -1, 2])],
    expected: [f32([4], [1, 1.6487212707001282, 0.36787944117144233, 7.38905609893065])],
  }],
  vjp: (g, { outputs: [y] }, [dy]) => [mul(g, dy!, y)],
  gradCases: [{ name: "values", inputs: [rnd([5], 1)] }],
};
