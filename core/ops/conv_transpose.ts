/**
 * ONNX `ConvTranspose` (2-D): the adjoint of Conv with the same weight
 * (in = Conv's out channels). tok1d emits it for Conv's input gradient.
 * @module
 */
import { type Graph, ints, type Value } from "../graph/graph.ts";
import { convWeightGradOf } from "./_grad/conv_grad.ts";
import { conv } from "./conv.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { intsAttr } from "./_grad/rule.ts";
import { reduceSum } from "./reduce_sum.ts";
import { reshape } from "./reshape.ts";

/** Options: strides, pads [t, l, b, r] and the output size to produce. */
export interface ConvTransposeOptions {
  strides?: [number, number];
  pads?: [number, number, number, number];
  outputSize: [number, number];
}

/** Transposed 2-D convolution of x (N, O, h, w) with w (O, I, k, k), plus an optional bias (I) → (N, I, H, W). */
export function convTranspose(g: Graph, x: Value, w: Value, o: ConvTransposeOptions, b?: Value): Value {
  const [s0, s1] = o.strides ?? [1, 1];
  const p = o.pads ?? [0, 0, 0, 0];
  const [, ci, kh, kw] = w.shape as number[];
  const [h, wd] = [x.shape[2] as number, x.shape[3] as number];
  const base = [(h - 1) * s0 - p[0] - p[2] + kh, (wd - 1) * s1 - p[1] - p[3] + kw];
  const extra = [o.outputSize[0] - base[0], o.outputSize[1] - base[1]];
  if (extra.some((e, i) => e < 0 || e >= [s0, s1][i])) {
    throw new Error(`ConvTranspose: output ${o.outputSize} unreachable from ${x.shape} with stride ${s0}`);
  }
  const attrs = {
    strides: ints([s0, s1]),
    pads: ints(p),
    kernel_shape: ints([kh, kw]),
    output_padding: ints(extra),
  };
  return g.addNode("ConvTranspose", [x, w, b], attrs, [{
    dtype: x.dtype,
    shape: [x.shape[0], ci, ...o.outputSize],
  }])[0];
}

export const def: OpDef = {
  key: "ConvTranspose",
  type: "ConvTranspose",
  emit: (g, [x, w, b], o) => [convTranspose(g, x, w, o, b)],
  cases: [{
    // A 1×1 input spreads its value times the kernel.
    name: "stride 2, 2x2 kernel",
    inputs: [f32([1, 1, 1, 1], [2]), f32([1, 1, 2, 2], [1, 2, 3, 4])],
    options: { strides: [2, 2], outputSize: [2, 2] },
    expected: [f32([1, 1, 2, 2], [2, 4, 6, 8])],
  }, {
    // Overlapping taps add up (stride 1, 2×2 kernel over a 1×2 input), then the bias per output channel.
    name: "stride 1, bias",
    inputs: [f32([1, 1, 1, 2], [1, 2]), f32([1, 2, 1, 2], [1, 1, 2, 0]), f32([2], [10, -1])],
    options: { outputSize: [1, 3] },
    expected: [f32([1, 2, 1, 3], [11, 13, 12, 1, 3, -1])],
  }],
  vjp: (g, ctx, [dy]) => {
    const [x, w, b] = ctx.inputs;
    const strides = intsAttr(ctx, "strides", [1, 1]) as [number, number];
    const pads = intsAttr(ctx, "pads", [0, 0, 0, 0]) as [number, number, number, number];
    // <dy, convT(x; w)> = <conv(dy; w), x>: dx is a Conv, dw is Conv's weight gradient with roles swapped.
    return [
      conv(g, dy!, w, undefined, { strides, pads }),
      convWeightGradOf(g, dy!, x, w.shape as number[], strides, pads),
      b ? reshape(g, reduceSum(g, dy!, [0, 2, 3], false), b.shape) : undefined,
    ];
  },
  gradCases: [{
    name: "stride 2",
    inputs: [rnd([1, 2, 2, 2], 1), rnd([2, 3, 2, 2], 2)],
    options: { strides: [2, 2], outputSize: [4, 4] },
  }, {
    name: "stride 2, pad 1, bias",
    inputs: [rnd([1, 2, 2, 2], 4), rnd([2, 3, 4, 4], 5), rnd([3], 6)],
    options: { strides: [2, 2], pads: [1, 1, 1, 1], outputSize: [4, 4] },
  }],
};
