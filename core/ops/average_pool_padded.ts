/**
 * ONNX `AveragePool` with padding that is left out of the mean
 * (`count_include_pad=0`): torch `F.avg_pool2d(x, k, s, p, count_include_pad=False)`,
 * which is what TensorFlow's Inception (and so FID's) pool branches compute.
 * Registered as `AveragePoolPadded`; `average_pool.ts` is the unpadded k×k case.
 *
 * The gradient rule here serves any ONNX `AveragePool` node (any kernel,
 * stride, padding and `count_include_pad`); its entry matches every
 * AveragePool node but the plain k×k ones that `average_pool.ts` takes.
 * @module
 */
import { type Graph, int, ints, type Value } from "../graph/graph.ts";
import { f32, type OpDef, rnd, t } from "./op.ts";
import { pooledSize, type PoolOptions } from "./max_pool.ts";
import { isPlainAvgPool } from "./average_pool.ts";
import { convTranspose } from "./conv_transpose.ts";
import { mul } from "./mul.ts";
import { reshape } from "./reshape.ts";
import { intAttr, intsAttr, staticShape, type VjpContext } from "./_grad/rule.ts";

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

/** How many of window i's k positions (start i·s − pad) fall inside a length-d axis. */
function validCounts(d: number, out: number, k: number, s: number, pad: number): number[] {
  return Array.from({ length: out }, (_, i) => Math.min(i * s - pad + k, d) - Math.max(i * s - pad, 0));
}

/**
 * dL/dx of any 2-D AveragePool: each window spreads dy/divisor evenly over the
 * pixels it covers (padding absorbs its share), which is a ConvTranspose of
 * dy/divisor with a k×k kernel of ones, run per (N, C) plane. The divisor is
 * k² with `count_include_pad`, else the window's count of real pixels.
 */
export function averagePoolGrad(g: Graph, ctx: VjpContext, dy: Value): Value {
  const [x] = ctx.inputs;
  const [n, c, h, w] = staticShape(x, "AveragePool");
  const [kh, kw] = intsAttr(ctx, "kernel_shape", []);
  const strides = intsAttr(ctx, "strides", [1, 1]) as [number, number];
  const pads = intsAttr(ctx, "pads", [0, 0, 0, 0]) as [number, number, number, number];
  if (intAttr(ctx, "ceil_mode", 0) !== 0 || intsAttr(ctx, "dilations", [1, 1]).some((d) => d !== 1)) {
    throw new Error("AveragePool gradient: ceil_mode and dilations are unsupported");
  }
  const [oh, ow] = [dy.shape[2] as number, dy.shape[3] as number];
  const rows = validCounts(h, oh, kh, strides[0], pads[0]);
  const cols = validCounts(w, ow, kw, strides[1], pads[1]);
  const includePad = intAttr(ctx, "count_include_pad", 0) === 1;
  const scale = rows.flatMap((r) => cols.map((q) => 1 / (includePad ? kh * kw : r * q)));
  const dtype = dy.dtype === "float64" ? "float64" : "float32";
  const scaled = mul(g, dy, g.constant(t(dtype, [oh, ow], scale), "pool_divisor"));
  const ones = g.constant(t(dtype, [1, 1, kh, kw], new Array(kh * kw).fill(1)), "pool_window");
  const planes = reshape(g, scaled, [n * c, 1, oh, ow]);
  return reshape(g, convTranspose(g, planes, ones, { strides, pads, outputSize: [h, w] }), [n, c, h, w]);
}

export const def: OpDef = {
  key: "AveragePoolPadded",
  type: "AveragePool",
  matches: (node) => !isPlainAvgPool(node),
  emit: (g, [x], o) => [avgPoolPadded(g, x, o)],
  cases: [{
    // 3×3, stride 1, pad 1 on 2×3: every window sees the valid pixels only.
    // [[1,2,3],[4,5,6]]: corner (0,0) averages {1,2,4,5} = 3; (0,1) averages all six = 3.5.
    name: "3x3 stride 1 pad 1",
    inputs: [f32([1, 1, 2, 3], [1, 2, 3, 4, 5, 6])],
    options: { kernel: 3, stride: 1, pads: [1, 1, 1, 1] },
    expected: [f32([1, 1, 2, 3], [3, 3.5, 4, 3, 3.5, 4])],
  }],
  vjp: (g, ctx, [dy]) => [averagePoolGrad(g, ctx, dy!)],
  gradCases: [
    {
      name: "3x3 stride 1 pad 1",
      inputs: [rnd([2, 2, 4, 5], 1)],
      options: { kernel: 3, stride: 1, pads: [1, 1, 1, 1] },
    },
    {
      name: "3x3 stride 2 pad 1, odd size",
      inputs: [rnd([1, 2, 7, 6], 2)],
      options: { kernel: 3, stride: 2, pads: [1, 1, 1, 1] },
    },
    {
      name: "2x2 stride 2 pads [0,0,1,1]",
      inputs: [rnd([1, 1, 5, 5], 3)],
      options: { kernel: 2, pads: [0, 0, 1, 1] },
    },
    { name: "2x2 stride 2, no padding", inputs: [rnd([1, 2, 4, 4], 4)], options: { kernel: 2 } },
  ],
};
