/**
 * ONNX `Pow`: elementwise power, with numpy broadcasting.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { binary } from "./_elementwise.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { unbroadcast } from "./_grad/unbroadcast.ts";
import { mul } from "./mul.ts";
import { div } from "./div.ts";
import { log } from "./log.ts";

/** `a ** b` elementwise. */
export function pow(g: Graph, a: Value, b: Value): Value {
  return binary(g, "Pow", a, b);
}

export const def: OpDef = {
  key: "Pow",
  type: "Pow",
  emit: (g, [a, b]) => [pow(g, a, b)],
  cases: [
    {
      name: "broadcast row",
      inputs: [f32([2, 2], [1, 2, 3, 4]), f32([2], [2, 0.5])],
      expected: [f32([2, 2], [1, 1.4142135623730951, 9, 2])],
    },
    { name: "scalar", inputs: [f32([3], [1, 2, 3]), f32([], [2])], expected: [f32([3], [1, 4, 9])] },
  ],
  // d/da = b·y/a, d/db = y·ln a (a > 0 where b is differentiated).
  vjp: (g, { inputs: [a, b], outputs: [y] }, [dy]) => [
    unbroadcast(g, div(g, mul(g, mul(g, dy!, b), y), a), a.shape),
    unbroadcast(g, mul(g, mul(g, dy!, y), log(g, a)), b.shape),
  ],
  gradCases: [{ name: "positive base", inputs: [rnd([2, 3], 1, 2), rnd([3], 2)] }],
};
