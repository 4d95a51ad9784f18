/**
 * Gradients of a 2-D Conv: the input gradient is a ConvTranspose with the
 * same weight; the weight gradient is itself a Conv, of the input with the
 * output gradient as kernel (batch and channel axes swapped, dilation =
 * stride), cut to the kernel size.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { conv } from "../ops/conv.ts";
import { convTranspose } from "../ops/conv_transpose.ts";
import { slice } from "../ops/slice.ts";
import { transpose } from "../ops/transpose.ts";
import { intAttr, intsAttr, staticShape, type VjpContext } from "./rule.ts";

function settings(ctx: VjpContext) {
  if (intAttr(ctx, "group", 1) !== 1) {
    throw new Error("Conv gradient: grouped convolutions are not supported");
  }
  if (intsAttr(ctx, "dilations", [1, 1]).some((d) => d !== 1)) {
    throw new Error("Conv gradient: dilation unsupported");
  }
  return {
    strides: intsAttr(ctx, "strides", [1, 1]) as [number, number],
    pads: intsAttr(ctx, "pads", [0, 0, 0, 0]) as [number, number, number, number],
  };
}

/** dL/dx of y = conv(x, w). */
export function convInputGrad(g: Graph, ctx: VjpContext, dy: Value): Value {
  const [x, w] = ctx.inputs;
  const { strides, pads } = settings(ctx);
  const [, , h, wd] = staticShape(x, "Conv");
  return convTranspose(g, dy, w, { strides, pads, outputSize: [h, wd] });
}

/** dL/dw of y = conv(x, w): (O, I, k, k). */
export function convWeightGrad(g: Graph, ctx: VjpContext, dy: Value): Value {
  const [x, w] = ctx.inputs;
  const { strides, pads } = settings(ctx);
  return convWeightGradOf(g, x, dy, staticShape(w, "Conv"), strides, pads);
}

/** Σ_{n,y,x} dy[n,o,y,x]·xpad[n,i,y·s+a,x·s+b] for every (o, i, a, b). */
export function convWeightGradOf(
  g: Graph,
  x: Value,
  dy: Value,
  wShape: number[],
  strides: [number, number],
  pads: [number, number, number, number],
): Value {
  const [, , kh, kw] = wShape;
  const xt = transpose(g, x, [1, 0, 2, 3]); // (I, N, H, W)
  const dt = transpose(g, dy, [1, 0, 2, 3]); // (O, N, h, w) used as the kernel
  let r = conv(g, xt, dt, undefined, { pads, dilations: strides }); // (I, O, ≥kh, ≥kw)
  if (r.shape[2] !== kh) r = slice(g, r, 2, 0, kh);
  if (r.shape[3] !== kw) r = slice(g, r, 3, 0, kw);
  return transpose(g, r, [1, 0, 2, 3]);
}
