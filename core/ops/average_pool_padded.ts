/**
 * ONNX `AveragePool` with padding that is left out of the mean
 * (`count_include_pad=0`): torch `F.avg_pool2d(x, k, s, p, count_include_pad=False)`,
 * which is what TensorFlow's Inception (and so FID's) pool branches compute.
 * Registered as `AveragePoolPadded`; `average_pool.ts` is the unpadded k×k case.
 * @module
 */
import { type Graph, int, ints, type Value } from "../graph/graph.ts";
import { f32, type OpDef } from "./op.ts";
import { pooledSize, type PoolOptions } from "./max_pool.ts";

/** k×k average pooling over the valid (unpadded) part of each window. */
export function avgPoolPadded(g: Graph, x: Value, o: PoolOptions): Value {
  const s = o.stride ?? o.kernel;
  const p = o.pads ?? [0, 0, 0, 0];
  const [n, c, h, w] = x.shape;
  return g.addNode(
    "AveragePool",
    [x],
    {
      kernel_shape: ints([o.kernel, o.kernel]),
      strides: ints([s, s]),
      pads: ints(p),
      count_include_pad: int(0),
    },
    [{
      dtype: x.dtype,
      shape: [n, c, pooledSize(h, o.kernel, s, p[0], p[2]), pooledSize(w, o.kernel, s, p[1], p[3])],
    }],
  )[0];
}

export const def: OpDef = {
  type: "AveragePool",
  emit: (g, [x], o) => [avgPoolPadded(g, x, o)],
  cases: [{
    // 3×3, stride 1, pad 1 on 2×3: every window sees the valid pixels only.
    // [[1,2,3],[4,5,6]]: corner (0,0) averages {1,2,4,5} = 3; (0,1) averages all six = 3.5.
    name: "3x3 stride 1 pad 1",
    inputs: [f32([1, 1, 2, 3], [1, 2, 3, 4, 5, 6])],
    options: { kernel: 3, stride: 1, pads: [1, 1, 1, 1] },
    expected: [f32([1, 1, 2, 3], [3, 3.5, 4, 3, 3.5, 4])],
  }],
  // The gradient rule (spread dy over each window's valid pixels) is the autodiff developer's to add.
  vjp: null,
  gradCases: [],
};
