/**
 * ONNX `Resize`, nearest-neighbour upsampling by an integer factor on H and W
 * (torch `F.interpolate(scale_factor=k, mode="nearest")`).
 *
 * Its entry takes the `Resize` nodes in nearest mode (`resize_linear.ts`
 * takes linear ones): each input pixel was copied f×f times, its gradient is
 * the sum over its block.
 * @module
 */
import { type Graph, str, type Value } from "../graph/graph.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { reshape } from "./reshape.ts";
import { reduceSum } from "./reduce_sum.ts";
import { staticShape, type VjpContext } from "./_grad/rule.ts";

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

/** dL/dx of an integer-factor nearest upsample: the sum of each f×f block of dy. */
function nearestGrad(g: Graph, ctx: VjpContext, dy: Value): Value {
  const [n, c, h, w] = staticShape(ctx.inputs[0], "Resize");
  const [fh, fw] = [(dy.shape[2] as number) / h, (dy.shape[3] as number) / w];
  const coordinates = ctx.attrs.coordinate_transformation_mode;
  const rounding = ctx.attrs.nearest_mode;
  if (
    coordinates?.type !== "string" || coordinates.value !== "asymmetric" || rounding?.type !== "string" ||
    rounding.value !== "floor"
  ) {
    throw new Error(
      "Resize gradient: nearest mode is supported with asymmetric coordinates and floor rounding",
    );
  }
  if (!Number.isInteger(fh) || !Number.isInteger(fw)) {
    throw new Error(
      `Resize gradient: nearest mode needs an integer factor, got ${h}x${w} → ${dy.shape[2]}x${dy.shape[3]}`,
    );
  }
  const blocks = reshape(g, dy, [n, c, h, fh, w, fw]);
  return reshape(g, reduceSum(g, blocks, [3, 5], false), [n, c, h, w]);
}

/** The node's `mode` attribute (ONNX's default is nearest). */
export function resizeMode(node: VjpContext): string {
  const a = node.attrs.mode;
  return a?.type === "string" ? a.value : "nearest";
}

export const def: OpDef = {
  key: "Resize",
  type: "Resize",
  matches: (node) => resizeMode(node) === "nearest",
  emit: (g, [x], o) => [upsampleNearest(g, x, o.factor)],
  cases: [{
    name: "2x",
    inputs: [f32([1, 1, 1, 2], [1, 2])],
    options: { factor: 2 },
    expected: [f32([1, 1, 2, 4], [1, 1, 2, 2, 1, 1, 2, 2])],
  }],
  vjp: (g, ctx, [dy]) => [nearestGrad(g, ctx, dy!)],
  gradCases: [
    { name: "2x", inputs: [rnd([1, 2, 2, 3], 1)], options: { factor: 2 } },
    { name: "3x, batch 2", inputs: [rnd([2, 2, 3, 2], 2)], options: { factor: 3 } },
  ],
};
