/**
 * ONNX `Erf`: the error function erf(x).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { unary } from "./_elementwise.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { scalar } from "./_grad/rule.ts";
import { mul } from "./mul.ts";
import { exp } from "./exp.ts";
import { neg } from "./neg.ts";

/** the error function erf(x). */
export function erf(g: Graph, x: Value): Value {
  return unary(g, "Erf", x);
}

export const def: OpDef = {
  key: "Erf",
  type: "Erf",
  emit: (g, [x]) => [erf(g, x)],
  cases: [{
    name: "values",
    inputs: [f32([4], [0, 0.5, -1, 2])],
    expected: [f32([4], [0, 0.5204998778130465, -0.8427007929497149, 0.9953222650189527])],
  }],
  // d erf(x)/dx = 2/√π · e^(−x²)
  vjp: (g, { inputs: [x] }, [dy]) => [
    mul(g, dy!, mul(g, exp(g, neg(g, mul(g, x, x))), scalar(g, x, 2 / Math.sqrt(Math.PI)))),
  ],
  gradCases: [{ name: "values", inputs: [rnd([5], 1)] }],
};
