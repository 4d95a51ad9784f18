/**
 * ONNX `MaxPool` (2-D, NCHW): k×k maximum with a stride and optional padding
 * (padding never wins: ONNX pads with -inf), as torch `F.max_pool2d`.
 * Its gradient goes to each window's maximum — the first one in row-major
 * window order on ties, as torch's backward — and adds up where overlapping
 * windows pick the same pixel.
 * @module
 */
import { type Graph, ints, type Value } from "../graph/graph.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { expand } from "./expand.ts";
import { reshape } from "./reshape.ts";
import { scatterAdd } from "./scatter_elements.ts";
import { scalar, staticShape, type VjpContext } from "./_grad/rule.ts";

/** Options of {@link maxPool}: pads are [top, left, bottom, right] as ONNX orders them. */
export interface PoolOptions {
  kernel: number;
  stride?: number;
  pads?: [number, number, number, number];
}

/** Output length of a pooling window sweep (floor mode, as torch's default `ceil_mode=False`). */
export function pooledSize(d: number | string, k: number, s: number, before: number, after: number) {
  return typeof d === "number" ? Math.floor((d + before + after - k) / s) + 1 : `pool(${d})`;
}

/** k×k max pooling. */
export function maxPool(g: Graph, x: Value, o: PoolOptions): Value {
  const s = o.stride ?? o.kernel;
  const p = o.pads ?? [0, 0, 0, 0];
  const [n, c, h, w] = x.shape;
  return g.addNode(
    "MaxPool",
    [x],
    { kernel_shape: ints([o.kernel, o.kernel]), strides: ints([s, s]), pads: ints(p) },
    [{
      dtype: x.dtype,
      shape: [n, c, pooledSize(h, o.kernel, s, p[0], p[2]), pooledSize(w, o.kernel, s, p[1], p[3])],
    }],
  )[0];
}

/**
 * dL/dx of y = MaxPool(x): the pool is run again for its `Indices` output
 * (the flat N·C·H·W position of each window's maximum, padding not counted;
 * ONNX Runtime keeps the first maximum met, as torch does), and dy is added
 * into zeros at those positions.
 */
function maxPoolGrad(g: Graph, ctx: VjpContext, dy: Value): Value {
  const [x] = ctx.inputs;
  const shape = staticShape(x, "MaxPool");
  const [, indices] = g.addNode("MaxPool", [x], ctx.attrs, [
    { dtype: x.dtype, shape: dy.shape },
    { dtype: "int64", shape: dy.shape },
  ]);
  const size = shape.reduce((a, b) => a * b, 1);
  const zeros = expand(g, scalar(g, x, 0), [size]);
  const flat = (v: Value) => reshape(g, v, [-1]);
  const summed = scatterAdd(g, zeros, flat(indices), flat(dy));
  return reshape(g, summed, shape);
}

export const def: OpDef = {
  key: "MaxPool",
  type: "MaxPool",
  emit: (g, [x], o) => [maxPool(g, x, o)],
  cases: [
    {
      // Inception's stem: 3×3 windows, stride 2, no padding. 5×5 → 2×2.
      name: "3x3 stride 2",
      inputs: [f32([1, 1, 5, 5], Array.from({ length: 25 }, (_, i) => (i * 7) % 11))],
      options: { kernel: 3, stride: 2 },
      // rows: 0 7 3 10 6 / 2 9 5 1 8 / 4 0 7 3 10 / 6 2 9 5 1 / 8 4 0 7 3
      expected: [f32([1, 1, 2, 2], [9, 10, 9, 10])],
    },
    {
      // Mixed_7c's pool branch: 3×3, stride 1, pad 1; negative values show the padding is -inf, not 0.
      name: "3x3 stride 1 pad 1",
      inputs: [f32([1, 1, 2, 2], [-1, -2, -3, -4])],
      options: { kernel: 3, stride: 1, pads: [1, 1, 1, 1] },
      expected: [f32([1, 1, 2, 2], [-1, -1, -1, -1])],
    },
  ],
  vjp: (g, ctx, [dy]) => [maxPoolGrad(g, ctx, dy!)],
  gradCases: [
    { name: "VGG 2x2 stride 2", inputs: [rnd([2, 3, 4, 6], 1)], options: { kernel: 2 } },
    { name: "3x3 stride 2, overlapping", inputs: [rnd([1, 2, 7, 7], 2)], options: { kernel: 3, stride: 2 } },
    {
      name: "3x3 stride 1 pad 1",
      inputs: [rnd([1, 2, 4, 5], 3)],
      options: { kernel: 3, stride: 1, pads: [1, 1, 1, 1] },
    },
    {
      name: "3x3 stride 2 pads [0,1,1,0], odd size",
      inputs: [rnd([2, 1, 5, 6], 4)],
      options: { kernel: 3, stride: 2, pads: [0, 1, 1, 0] },
    },
  ],
};
