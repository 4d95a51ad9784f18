/**
 * ONNX `Where`: picks `a` where the condition holds, else `b` (broadcasting).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { broadcast } from "../graph/shape.ts";
import { unbroadcast } from "./_grad/unbroadcast.ts";
import { scalar } from "./_grad/rule.ts";
import { f32, type OpDef, rnd, t } from "./op.ts";

/** cond ? a : b, elementwise. */
export function where(g: Graph, cond: Value, a: Value, b: Value): Value {
  const shape = broadcast(cond.shape, broadcast(a.shape, b.shape, "Where"), "Where");
  return g.addNode("Where", [cond, a, b], {}, [{ dtype: a.dtype, shape }])[0];
}

export const def: OpDef = {
  key: "Where",
  type: "Where",
  emit: (g, [c, a, b]) => [where(g, c, a, b)],
  cases: [{
    name: "mask",
    inputs: [t("bool", [3], [1, 0, 1]), f32([3], [1, 2, 3]), f32([3], [-1, -2, -3])],
    expected: [f32([3], [1, -2, 3])],
  }],
  vjp: (g, { inputs: [c, a, b] }, [dy]) => {
    const zero = scalar(g, dy!, 0);
    return [
      undefined,
      unbroadcast(g, where(g, c, dy!, zero), a.shape),
      unbroadcast(g, where(g, c, zero, dy!), b.shape),
    ];
  },
  gradCases: [{ name: "mask", inputs: [t("bool", [3], [1, 0, 1]), rnd([3], 1), rnd([3], 2)] }],
};
