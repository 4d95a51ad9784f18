/**
 * ONNX `AveragePool`: k×k mean with stride k, no padding (torch `F.avg_pool2d(x, k, k)`).
 * Its gradient rule takes the nodes this emitter makes over an H and W that k divides ({@link isPlainAvgPool});
 * `average_pool_padded.ts` takes every other AveragePool node.
 * @module
 */
import { type Graph, ints, type Value } from "../graph/graph.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { upsampleNearest } from "./resize.ts";
import { mul } from "./mul.ts";
import { intAttr, intsAttr, scalar, type VjpContext } from "./_grad/rule.ts";

/** Non-overlapping k×k average pooling (NCHW). */
export function avgPool(g: Graph, x: Value, k: number): Value {
  const [n, c, h, w] = x.shape;
  const div = (d: number | string) => (typeof d === "number" ? Math.floor(d / k) : `${d}/${k}`);
  return g.addNode("AveragePool", [x], { kernel_shape: ints([k, k]), strides: ints([k, k]) }, [
    { dtype: x.dtype, shape: [n, c, div(h), div(w)] },
  ])[0];
}

/**
 * Whether an AveragePool node is what {@link avgPool} emits — k×k, stride k,
 * no `pads` attribute (`avgPoolPadded` always writes one) — over an NCHW input
 * whose static H and W are multiples of k, so that each pixel is in one window.
 */
export function isPlainAvgPool(node: VjpContext): boolean {
  const kernel = intsAttr(node, "kernel_shape", []);
  const [k] = kernel;
  const x = node.inputs[0];
  const same = (a: number[]) => a.length === 2 && a.every((v) => v === k);
  const autoPad = node.attrs.auto_pad;
  return same(kernel) && same(intsAttr(node, "strides", [1, 1])) &&
    node.attrs.pads === undefined &&
    intsAttr(node, "dilations", [1, 1]).every((d) => d === 1) && intAttr(node, "ceil_mode", 0) === 0 &&
    (!autoPad || (autoPad.type === "string" && autoPad.value === "NOTSET")) &&
    x.shape.length === 4 && x.shape.slice(2).every((d) => typeof d === "number" && d % k === 0);
}

export const def: OpDef = {
  key: "AveragePool",
  type: "AveragePool",
  matches: isPlainAvgPool,
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
