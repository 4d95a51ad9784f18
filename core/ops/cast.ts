/**
 * ONNX `Cast`: converts element type (float→int truncates toward zero).
 * @module
 */
import { type Graph, int, type Value } from "../graph/graph.ts";
import { ONNX_DTYPE } from "../onnx/proto.ts";
import type { DType } from "../tensor.ts";
import { f32, type OpDef, rnd, t } from "./op.ts";
import { isDifferentiable } from "./_grad/rule.ts";

/** Casts `x` to `to`. */
export function cast(g: Graph, x: Value, to: DType): Value {
  const code = ONNX_DTYPE[to as keyof typeof ONNX_DTYPE];
  return g.addNode("Cast", [x], { to: int(code) }, [{ dtype: to, shape: x.shape }])[0];
}

export const def: OpDef = {
  key: "Cast",
  type: "Cast",
  emit: (g, [x], o) => [cast(g, x, o.to)],
  cases: [{
    name: "to int64",
    inputs: [f32([3], [1.7, -1.7, 3])],
    options: { to: "int64" },
    expected: [t("int64", [3], [1, -1, 3])],
  }],
  vjp: (g, { inputs: [x], outputs: [y] }, [dy]) =>
    isDifferentiable(x.dtype) && isDifferentiable(y.dtype) ? [cast(g, dy!, x.dtype)] : [undefined],
  gradCases: [{ name: "float to float", inputs: [rnd([3], 1)], options: { to: "float32" } }],
};
