/**
 * ONNX `LayerNormalization` (opset 17): normalises over the axes from `axis` on.
 * @module
 */
import { float, type Graph, int, type Value } from "../graph/graph.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { layerNormGrad } from "./_grad/layer_norm_grad.ts";

/** (x - mean) / sqrt(var + eps) * scale + bias over axes `axis..rank-1` (biased variance). */
export function layerNorm(
  g: Graph,
  x: Value,
  scale: Value,
  bias: Value | undefined,
  eps = 1e-5,
  axis = -1,
): Value {
  return g.addNode("LayerNormalization", [x, scale, bias], { axis: int(axis), epsilon: float(eps) }, [
    { dtype: x.dtype, shape: x.shape },
  ])[0];
}

export const def: OpDef = {
  key: "LayerNormalization",
  type: "LayerNormalization",
  emit: (g, [x, s, b], o) => [layerNorm(g, x, s, b, o?.eps ?? 1e-5, o?.axis ?? -1)],
  cases: [{
    name: "rows of [1,2,3] and [2,2,2]",
    inputs: [f32([2, 3], [1, 2, 3, 2, 2, 2]), f32([3], [1, 2, 1]), f32([3], [0, 0, 1])],
    options: { eps: 1e-12 },
    // mean 2, var 2/3: (x-2)/sqrt(2/3) = ∓1.2247448713915890; a constant row normalises to 0.
    expected: [f32([2, 3], [-1.224744871391589, 0, 2.224744871391589, 0, 0, 1])],
    tolerance: 1e-5,
  }],
  vjp: (g, ctx, [dy]) => layerNormGrad(g, ctx, dy!),
  gradCases: [
    { name: "last axis", inputs: [rnd([2, 4], 1), rnd([4], 2, 1), rnd([4], 3)] },
    {
      name: "group style (axis 2)",
      inputs: [rnd([2, 2, 3], 4), f32([1], [1.5]), f32([1], [0.2])],
      options: { axis: 2 },
    },
  ],
};
