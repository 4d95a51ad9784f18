/**
 * ONNX `Erf`: the error function erf(x).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { unary } from "./_elementwise.ts";
import { f32, type OpDef } from "./op.ts";

/** the error function erf(x). */
export function erf(g: Graph, x: Value): Value {
  return unary(g, "Erf", x);
}

export const def: OpDef = {
  type: "Erf",
  emit: (g, [x]) => [erf(g, x)],
  cases: [{
    name: "values",
    inputs: [f32([4], [0, 0.5, -1, 2])],
    expected: [f32([4], [0, 0.5204998778130465, -0.8427007929497149, 0.9953222650189527])],
  }],
};
