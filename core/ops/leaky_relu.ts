/**
 * ONNX `LeakyRelu`: x where x > 0, else alpha·x (torch `F.leaky_relu`,
 * default slope 0.01; GAN discriminators use 0.2).
 *
 * @example
 * ```ts
 * const y = leakyRelu(g, x, 0.2);
 * ```
 * @module
 */
import { float, type Graph, type Value } from "../graph/graph.ts";
import { f32, type OpDef } from "./op.ts";
import { floatAttr, scalar } from "./_grad/rule.ts";
import { greater } from "./greater.ts";
import { mul } from "./mul.ts";
import { where } from "./where.ts";

/** max(x, 0) + alpha·min(x, 0). */
export function leakyRelu(g: Graph, x: Value, alpha = 0.01): Value {
  return g.addNode("LeakyRelu", [x], { alpha: float(alpha) }, [{ dtype: x.dtype, shape: x.shape }])[0];
}

export const def: OpDef = {
  key: "LeakyRelu",
  type: "LeakyRelu",
  emit: (g, [x], o) => [leakyRelu(g, x, o?.alpha)],
  cases: [
    {
      name: "alpha 0.2",
      inputs: [f32([5], [-2, -0.5, 0, 0.25, 1.5])],
      options: { alpha: 0.2 },
      expected: [f32([5], [-0.4, -0.1, 0, 0.25, 1.5])],
    },
    { name: "default alpha 0.01", inputs: [f32([2], [-3, 2])], expected: [f32([2], [-0.03, 2])] },
  ],
  // As torch: slope 1 where x > 0, alpha elsewhere (x = 0 included).
  vjp: (g, ctx, [dy]) => {
    const [x] = ctx.inputs;
    const alpha = floatAttr(ctx, "alpha", 0.01);
    return [where(g, greater(g, x, scalar(g, x, 0)), dy!, mul(g, dy!, scalar(g, dy!, alpha)))];
  },
  gradCases: [
    {
      name: "alpha 0.2, away from 0",
      inputs: [f32([2, 3], [-0.7, -0.2, 0.3, 0.9, -1.1, 0.05])],
      options: { alpha: 0.2 },
    },
    { name: "default alpha", inputs: [f32([4], [-0.6, 0.4, -0.1, 1.2])] },
  ],
};
