/**
 * ONNX `AveragePool`: k×k mean with stride k, no padding (torch `F.avg_pool2d(x, k, k)`).
 * @module
 */
import { type Graph, ints, type Value } from "../graph/graph.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { upsampleNearest } from "./resize.ts";
import { mul } from "./mul.ts";
import { intsAttr, scalar } from "../autodiff/rule.ts";

/** Non-overlapping k×k average pooling (NCHW). */
export function avgPool(g: Graph, x: Value, k: number): Value {
  const [n, c, h, w] = x.shape;
  const div = (d: number | string) => (typeof d === "number" ? Math.floor(d / k) : `${d}/${k}`);
  return g.addNode("AveragePool", [x], { kernel_shape: ints([k, k]), strides: ints([k, k]) }, [
    { dtype: x.dtype, shape: [n, c, div(h), div(w)] },
  ])[0];
}

export const def: OpDef = {
  type: "AveragePool",
  emit: (g, [x], o) => [avgPool(g, x, o.k)],
  cases: [{
    name: "2x2",
    inputs: [f32([1, 1, 2, 4], [1, 2, 3, 4, 5, 6, 7, 8])],
    options: { k: 2 },
    expected: [f32([1, 1, 1, 2], [3.5, 5.5])],
  }],
  vjp: (g, ctx, [dy]) => {
    const [k] = intsAttr(ctx, "kernel_shape", [2, 2]);
    return [mul(g, upsampleNearest(g, dy!, k), scalar(g, dy!, 1 / (k * k)))];
  },
  gradCases: [{ name: "2x2", inputs: [rnd([1, 2, 4, 4], 1)], options: { k: 2 } }],
};
