/**
 * ONNX `Resize`, nearest-neighbour upsampling by an integer factor on H and W
 * (torch `F.interpolate(scale_factor=k, mode="nearest")`).
 * @module
 */
import { type Graph, str, type Value } from "../graph/graph.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { reshape } from "./reshape.ts";
import { reduceSum } from "./reduce_sum.ts";
import { staticShape } from "../autodiff/rule.ts";

/** Repeats every pixel `factor`×`factor` times (NCHW). */
export function upsampleNearest(g: Graph, x: Value, factor: number): Value {
  const [n, c, h, w] = x.shape;
  const scales = g.constant(f32([4], [1, 1, factor, factor]), "scales");
  const mul = (d: number | string) => (typeof d === "number" ? d * factor : `${d}*${factor}`);
  return g.addNode(
    "Resize",
    [x, undefined, scales],
    { mode: str("nearest"), nearest_mode: str("floor"), coordinate_transformation_mode: str("asymmetric") },
    [{ dtype: x.dtype, shape: [n, c, mul(h), mul(w)] }],
  )[0];
}

export const def: OpDef = {
  type: "Resize",
  emit: (g, [x], o) => [upsampleNearest(g, x, o.factor)],
  cases: [{
    name: "2x",
    inputs: [f32([1, 1, 1, 2], [1, 2])],
    options: { factor: 2 },
    expected: [f32([1, 1, 2, 4], [1, 1, 2, 2, 1, 1, 2, 2])],
  }],
  // Each input pixel was copied f×f times: sum those copies.
  vjp: (g, ctx, [dy]) => {
    const [n, c, h, w] = staticShape(ctx.inputs[0], "Resize");
    const f = (dy!.shape[2] as number) / h;
    const blocks = reshape(g, dy!, [n, c, h, f, w, f]);
    return [reshape(g, reduceSum(g, blocks, [3, 5], false), [n, c, h, w]), undefined, undefined];
  },
  gradCases: [{ name: "2x", inputs: [rnd([1, 2, 2, 3], 1)], options: { factor: 2 } }],
};
