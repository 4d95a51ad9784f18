/**
 * ONNX `MaxPool` (2-D, NCHW): k×k maximum with a stride and optional padding
 * (padding never wins: ONNX pads with -inf), as torch `F.max_pool2d`.
 * @module
 */
import { type Graph, ints, type Value } from "../graph/graph.ts";
import { f32, type OpDef } from "./op.ts";

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

export const def: OpDef = {
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
  // The gradient rule (route dy to each window's argmax) is the autodiff developer's to add.
  vjp: null,
  gradCases: [],
};
