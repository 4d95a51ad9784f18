/**
 * ONNX `Conv` (2-D, NCHW): weight (out, in/group, kh, kw), optional bias.
 * @module
 */
import { type Graph, ints, type Value } from "../graph/graph.ts";
import { fmt } from "../graph/shape.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { convInputGrad, convWeightGrad } from "./_grad/conv_grad.ts";
import { reduceSum } from "./reduce_sum.ts";
import { reshape } from "./reshape.ts";

/** Conv options; pads are [top, left, bottom, right] as ONNX orders them. */
export interface ConvOptions {
  strides?: [number, number];
  dilations?: [number, number];
  pads?: [number, number, number, number];
  group?: number;
}

/** 2-D convolution. */
export function conv(g: Graph, x: Value, w: Value, b: Value | undefined, o: ConvOptions = {}): Value {
  const [s0, s1] = o.strides ?? [1, 1];
  const [d0, d1] = o.dilations ?? [1, 1];
  const p = o.pads ?? [0, 0, 0, 0];
  const [n, , h, wd] = x.shape;
  const [co, , kh, kw] = w.shape as number[];
  if (x.shape.length !== 4 || w.shape.length !== 4) {
    throw new Error(`Conv: ${fmt(x.shape)} * ${fmt(w.shape)}`);
  }
  const out = (d: number | string, k: number, s: number, a: number, z: number) =>
    typeof d === "number" ? Math.floor((d + a + z - k) / s) + 1 : d;
  const attrs = {
    strides: ints([s0, s1]),
    pads: ints(p),
    kernel_shape: ints([kh, kw]),
    ...(d0 !== 1 || d1 !== 1 ? { dilations: ints([d0, d1]) } : {}),
  };
  if (o.group && o.group > 1) Object.assign(attrs, { group: { type: "int", value: o.group } });
  return g.addNode("Conv", [x, w, b], attrs, [{
    dtype: x.dtype,
    shape: [n, co, out(h, (kh - 1) * d0 + 1, s0, p[0], p[2]), out(wd, (kw - 1) * d1 + 1, s1, p[1], p[3])],
  }])[0];
}

export const def: OpDef = {
  key: "Conv",
  type: "Conv",
  emit: (g, [x, w, b], o) => [conv(g, x, w, b, o)],
  cases: [
    {
      name: "3x3 same padding, bias",
      inputs: [
        f32([1, 1, 2, 2], [1, 2, 3, 4]),
        f32([1, 1, 3, 3], [0, 0, 0, 0, 1, 1, 0, 0, 0]),
        f32([1], [0.5]),
      ],
      options: { pads: [1, 1, 1, 1] },
      expected: [f32([1, 1, 2, 2], [3.5, 2.5, 7.5, 4.5])],
    },
    {
      name: "patch embedding (stride = kernel)",
      inputs: [f32([1, 1, 2, 4], [1, 2, 3, 4, 5, 6, 7, 8]), f32([2, 1, 2, 2], [1, 1, 1, 1, 1, 0, 0, -1])],
      options: { strides: [2, 2] },
      expected: [f32([1, 2, 1, 2], [14, 22, -5, -5])],
    },
    {
      // Depthwise: channel 0 sums its pair (1 + 2), channel 1 takes a difference (3 − 4).
      name: "depthwise 1x2 kernel",
      inputs: [f32([1, 2, 1, 2], [1, 2, 3, 4]), f32([2, 1, 1, 2], [1, 1, 1, -1])],
      options: { group: 2 },
      expected: [f32([1, 2, 1, 1], [3, -1])],
    },
  ],
  vjp: (g, ctx, [dy]) => {
    const b = ctx.inputs[2];
    const db = b ? reshape(g, reduceSum(g, dy!, [0, 2, 3], false), b.shape) : undefined;
    return [convInputGrad(g, ctx, dy!), convWeightGrad(g, ctx, dy!), db];
  },
  gradCases: [
    {
      name: "3x3 pad 1",
      inputs: [rnd([2, 2, 3, 3], 1), rnd([3, 2, 3, 3], 2), rnd([3], 3)],
      options: { pads: [1, 1, 1, 1] },
    },
    {
      name: "patchify stride 2",
      inputs: [rnd([1, 2, 4, 4], 4), rnd([3, 2, 2, 2], 5), rnd([3], 6)],
      options: { strides: [2, 2] },
    },
    {
      name: "grouped (2 groups) 3x3 pad 1",
      inputs: [rnd([2, 4, 5, 5], 7), rnd([6, 2, 3, 3], 8), rnd([6], 9)],
      options: { pads: [1, 1, 1, 1], group: 2 },
    },
    {
      name: "grouped (2 groups) 3x3 stride 2 pad 1",
      inputs: [rnd([1, 4, 6, 6], 10), rnd([4, 2, 3, 3], 11)],
      options: { strides: [2, 2], pads: [1, 1, 1, 1], group: 2 },
    },
    {
      // ConvNeXt's depthwise 7×7 conv.
      name: "depthwise 7x7 pad 3",
      inputs: [rnd([2, 3, 8, 8], 12), rnd([3, 1, 7, 7], 13), rnd([3], 14)],
      options: { pads: [3, 3, 3, 3], group: 3 },
    },
    {
      name: "depthwise 3x3 stride 2 pad 1 (odd size)",
      inputs: [rnd([2, 3, 7, 7], 15), rnd([3, 1, 3, 3], 16)],
      options: { strides: [2, 2], pads: [1, 1, 1, 1], group: 3 },
    },
    {
      // Blur pool: a fixed 4×4 kernel per channel, stride 2, asymmetric padding.
      name: "depthwise blur 4x4 stride 2 pads [1,1,2,2]",
      inputs: [rnd([1, 2, 7, 8], 17), rnd([2, 1, 4, 4], 18)],
      options: { strides: [2, 2], pads: [1, 1, 2, 2], group: 2 },
    },
  ],
};
