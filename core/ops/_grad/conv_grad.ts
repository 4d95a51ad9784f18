/**
 * Gradients of a 2-D Conv, for any group count (depthwise included): the
 * input gradient is a ConvTranspose with the same weight and group — for
 * stride 1, the equivalent Conv with the kernel flipped and its in/out axes
 * swapped per group, which ONNX Runtime runs several times faster; the weight
 * gradient is itself a Conv, of the input with the output gradient as kernel
 * (batch and channel axes swapped, dilation = stride), cut to the kernel size,
 * grouped so that each group's inputs only meet that group's output gradients.
 * @module
 */
import { type Graph, int, ints, type Value } from "../../graph/graph.ts";
import { conv } from "../conv.ts";
import { gather } from "../gather.ts";
import { i64const } from "../op.ts";
import { reshape } from "../reshape.ts";
import { slice } from "../slice.ts";
import { transpose } from "../transpose.ts";
import { intAttr, intsAttr, staticShape, type VjpContext } from "./rule.ts";

function settings(ctx: VjpContext) {
  if (intsAttr(ctx, "dilations", [1, 1]).some((d) => d !== 1)) {
    throw new Error("Conv gradient: dilation unsupported");
  }
  return {
    strides: intsAttr(ctx, "strides", [1, 1]) as [number, number],
    pads: intsAttr(ctx, "pads", [0, 0, 0, 0]) as [number, number, number, number],
    group: intAttr(ctx, "group", 1),
  };
}

/** dL/dx of y = conv(x, w). */
export function convInputGrad(g: Graph, ctx: VjpContext, dy: Value): Value {
  const [x, w] = ctx.inputs;
  const { strides, pads, group } = settings(ctx);
  const [, , h, wd] = staticShape(x, "Conv");
  const [, , kh, kw] = staticShape(w, "Conv");
  const flippedPads = [kh - 1 - pads[0], kw - 1 - pads[1], kh - 1 - pads[2], kw - 1 - pads[3]];
  if (strides[0] === 1 && strides[1] === 1 && flippedPads.every((p) => p >= 0)) {
    const pads2 = flippedPads as [number, number, number, number];
    return conv(g, dy, flippedTransposedKernel(g, w, group), undefined, { pads: pads2, group });
  }
  return groupedConvTranspose(g, dy, w, strides, pads, group, [h, wd]);
}

/**
 * w (O, I/group, kh, kw) → w' (I, O/group, kh, kw) with
 * w'[G·I/group + i, o, a, b] = w[G·O/group + o, i, kh−1−a, kw−1−b]:
 * the kernel of a stride-1 Conv that equals Conv's transpose.
 */
function flippedTransposedKernel(g: Graph, w: Value, group: number): Value {
  const [o, ig, kh, kw] = staticShape(w, "Conv");
  const og = o / group;
  const swapped = og === 1 || ig === 1
    ? reshape(g, w, [group * ig, og, kh, kw])
    : reshape(g, transpose(g, reshape(g, w, [group, og, ig, kh, kw]), [0, 2, 1, 3, 4]), [
      group * ig,
      og,
      kh,
      kw,
    ]);
  const reversed = (n: number) => i64const(g, Array.from({ length: n }, (_, i) => n - 1 - i), "flip");
  return gather(g, gather(g, swapped, reversed(kh), 2), reversed(kw), 3);
}

/**
 * ConvTranspose of dy (N, O, h, w) with Conv's weight (O, I/group, kh, kw) →
 * (N, I, H, W); output_padding makes up the rows and columns a strided Conv
 * dropped, so the result has exactly the Conv input's size.
 */
function groupedConvTranspose(
  g: Graph,
  dy: Value,
  w: Value,
  [s0, s1]: [number, number],
  pads: [number, number, number, number],
  group: number,
  [h, wd]: [number, number],
): Value {
  const [, ig, kh, kw] = staticShape(w, "Conv");
  const [n, , dh, dw] = staticShape(dy, "Conv");
  const base = [(dh - 1) * s0 - pads[0] - pads[2] + kh, (dw - 1) * s1 - pads[1] - pads[3] + kw];
  const extra = [h - base[0], wd - base[1]];
  if (extra.some((e, i) => e < 0 || e >= [s0, s1][i])) {
    throw new Error(`Conv gradient: input size ${h}x${wd} unreachable from ${dh}x${dw} with stride ${s0}`);
  }
  const attrs = {
    strides: ints([s0, s1]),
    pads: ints(pads),
    kernel_shape: ints([kh, kw]),
    output_padding: ints(extra),
    ...(group !== 1 ? { group: int(group) } : {}),
  };
  return g.addNode("ConvTranspose", [dy, w], attrs, [{ dtype: dy.dtype, shape: [n, ig * group, h, wd] }])[0];
}

/** dL/dw of y = conv(x, w): (O, I/group, k, k). */
export function convWeightGrad(g: Graph, ctx: VjpContext, dy: Value): Value {
  const [x, w] = ctx.inputs;
  const { strides, pads, group } = settings(ctx);
  return convWeightGradOf(g, x, dy, staticShape(w, "Conv"), strides, pads, group);
}

/**
 * Σ_{n,y,x} dy[n,o,y,x]·xpad[n, G(o)·I/group + i, y·s+a, x·s+b] for every
 * (o, i, a, b), G(o) being o's group. The input is laid out as a batch of
 * I/group images with group·N channels (group-major), the output gradient as
 * O kernels of N channels; a Conv with `group` groups then pairs group G's
 * channels of x with group G's kernels only.
 */
export function convWeightGradOf(
  g: Graph,
  x: Value,
  dy: Value,
  wShape: number[],
  strides: [number, number],
  pads: [number, number, number, number],
  group = 1,
): Value {
  const [, ig, kh, kw] = wShape;
  const [n, , h, w] = staticShape(x, "Conv");
  const xt = group === 1
    ? transpose(g, x, [1, 0, 2, 3]) // (I, N, H, W)
    : reshape(g, transpose(g, reshape(g, x, [n, group, ig, h, w]), [2, 1, 0, 3, 4]), [ig, group * n, h, w]);
  const dt = transpose(g, dy, [1, 0, 2, 3]); // (O, N, h, w) used as the kernel
  let r = conv(g, xt, dt, undefined, { pads, dilations: strides, group }); // (I/group, O, ≥kh, ≥kw)
  if (r.shape[2] !== kh) r = slice(g, r, 2, 0, kh);
  if (r.shape[3] !== kw) r = slice(g, r, 3, 0, kw);
  return transpose(g, r, [1, 0, 2, 3]);
}
