/**
 * The building blocks of the FID InceptionV3 (TensorFlow's 2015-12-05 graph as
 * ported by pytorch-fid): `BasicConv2d` (conv without bias, batch norm with
 * eps 1e-3 on running statistics, ReLU) and the mixed blocks A–E with
 * pytorch-fid's patches — pool branches that average over unpadded pixels
 * only, and a max-pool branch in the last block. Parameter names are the
 * checkpoint keys (`Mixed_5b.branch5x5_1.conv.weight`, `….bn.running_var`), so
 * `pt_inception-2015-12-05-6726825d.pth` loads by lookup.
 *
 * @example
 * ```ts
 * const g = new Graph("stem");
 * const x = g.input("x", "float32", ["batch", 3, 299, 299]);
 * const y = basicConv(g, x, "Conv2d_1a_3x3", 3, 32, { kernel: 3, stride: 2 }); // [batch, 32, 149, 149]
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import {
  add,
  avgPoolPadded,
  concat,
  conv,
  div,
  f32,
  maxPool,
  mul,
  relu,
  reshape,
  sqrt,
  sub,
} from "../ops/mod.ts";

/** Batch-norm epsilon of TensorFlow's Inception (torchvision's `BasicConv2d`). */
export const BN_EPS = 1e-3;

/** Kernel, stride and padding of one `BasicConv2d`; `[h, w]` pairs for the 1×7 / 7×1 kernels. */
export interface ConvSpec {
  kernel: number | [number, number];
  stride?: number;
  pad?: number | [number, number];
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === "number" ? [v, v] : v);

/**
 * `BasicConv2d(inC, outC)` named `name`: conv (no bias) → batch norm from
 * running statistics → ReLU. The norm is emitted as a per-channel scale and
 * shift computed from the four `bn.*` parameters inside the graph; ONNX
 * Runtime folds that into the convolution when it loads the weights.
 */
export function basicConv(
  g: Graph,
  x: Value,
  name: string,
  inC: number,
  outC: number,
  spec: ConvSpec,
): Value {
  const [kh, kw] = pair(spec.kernel);
  const [ph, pw] = pair(spec.pad ?? 0);
  const s = spec.stride ?? 1;
  return g.scope(name, () => {
    const w = g.scope("conv", () => g.param("weight", [outC, inC, kh, kw]));
    const y = conv(g, x, w, undefined, { strides: [s, s], pads: [ph, pw, ph, pw] });
    const [weight, bias, mean, variance] = g.scope(
      "bn",
      () => ["weight", "bias", "running_mean", "running_var"].map((k) => g.param(k, [outC])),
    );
    const scale = div(g, weight, sqrt(g, add(g, variance, g.constant(f32([], [BN_EPS]), "eps"))));
    const shift = sub(g, bias, mul(g, mean, scale));
    const column = (v: Value) => reshape(g, v, [outC, 1, 1]);
    return relu(g, add(g, mul(g, y, column(scale)), column(shift)));
  });
}

/** The 3×3 stride-1 average pool over unpadded pixels that TF's pool branches use. */
const tfAvgPool = (g: Graph, x: Value) => avgPoolPadded(g, x, { kernel: 3, stride: 1, pads: [1, 1, 1, 1] });

/** `FIDInceptionA` (Mixed_5b/5c/5d): 1×1, 5×5, double 3×3 and pool branches. */
export function inceptionA(g: Graph, x: Value, name: string, inC: number, poolFeatures: number): Value {
  return g.scope(name, () => {
    const b1 = basicConv(g, x, "branch1x1", inC, 64, { kernel: 1 });
    let b5 = basicConv(g, x, "branch5x5_1", inC, 48, { kernel: 1 });
    b5 = basicConv(g, b5, "branch5x5_2", 48, 64, { kernel: 5, pad: 2 });
    let b3 = basicConv(g, x, "branch3x3dbl_1", inC, 64, { kernel: 1 });
    b3 = basicConv(g, b3, "branch3x3dbl_2", 64, 96, { kernel: 3, pad: 1 });
    b3 = basicConv(g, b3, "branch3x3dbl_3", 96, 96, { kernel: 3, pad: 1 });
    const bp = basicConv(g, tfAvgPool(g, x), "branch_pool", inC, poolFeatures, { kernel: 1 });
    return concat(g, [b1, b5, b3, bp], 1);
  });
}

/** torchvision's `InceptionB` (Mixed_6a): grid reduction 35 → 17. */
export function inceptionB(g: Graph, x: Value, name: string, inC: number): Value {
  return g.scope(name, () => {
    const b3 = basicConv(g, x, "branch3x3", inC, 384, { kernel: 3, stride: 2 });
    let bd = basicConv(g, x, "branch3x3dbl_1", inC, 64, { kernel: 1 });
    bd = basicConv(g, bd, "branch3x3dbl_2", 64, 96, { kernel: 3, pad: 1 });
    bd = basicConv(g, bd, "branch3x3dbl_3", 96, 96, { kernel: 3, stride: 2 });
    return concat(g, [b3, bd, maxPool(g, x, { kernel: 3, stride: 2 })], 1);
  });
}

/** `FIDInceptionC` (Mixed_6b–6e): factorised 7×7 branches. */
export function inceptionC(g: Graph, x: Value, name: string, inC: number, c7: number): Value {
  const row = { kernel: [1, 7], pad: [0, 3] } as ConvSpec;
  const col = { kernel: [7, 1], pad: [3, 0] } as ConvSpec;
  return g.scope(name, () => {
    const b1 = basicConv(g, x, "branch1x1", inC, 192, { kernel: 1 });
    let b7 = basicConv(g, x, "branch7x7_1", inC, c7, { kernel: 1 });
    b7 = basicConv(g, b7, "branch7x7_2", c7, c7, row);
    b7 = basicConv(g, b7, "branch7x7_3", c7, 192, col);
    let bd = basicConv(g, x, "branch7x7dbl_1", inC, c7, { kernel: 1 });
    bd = basicConv(g, bd, "branch7x7dbl_2", c7, c7, col);
    bd = basicConv(g, bd, "branch7x7dbl_3", c7, c7, row);
    bd = basicConv(g, bd, "branch7x7dbl_4", c7, c7, col);
    bd = basicConv(g, bd, "branch7x7dbl_5", c7, 192, row);
    const bp = basicConv(g, tfAvgPool(g, x), "branch_pool", inC, 192, { kernel: 1 });
    return concat(g, [b1, b7, bd, bp], 1);
  });
}

/** torchvision's `InceptionD` (Mixed_7a): grid reduction 17 → 8. */
export function inceptionD(g: Graph, x: Value, name: string, inC: number): Value {
  return g.scope(name, () => {
    let b3 = basicConv(g, x, "branch3x3_1", inC, 192, { kernel: 1 });
    b3 = basicConv(g, b3, "branch3x3_2", 192, 320, { kernel: 3, stride: 2 });
    let b7 = basicConv(g, x, "branch7x7x3_1", inC, 192, { kernel: 1 });
    b7 = basicConv(g, b7, "branch7x7x3_2", 192, 192, { kernel: [1, 7], pad: [0, 3] });
    b7 = basicConv(g, b7, "branch7x7x3_3", 192, 192, { kernel: [7, 1], pad: [3, 0] });
    b7 = basicConv(g, b7, "branch7x7x3_4", 192, 192, { kernel: 3, stride: 2 });
    return concat(g, [b3, b7, maxPool(g, x, { kernel: 3, stride: 2 })], 1);
  });
}

/**
 * `FIDInceptionE_1` (pool `"avg"`, Mixed_7b) and `FIDInceptionE_2` (pool
 * `"max"`, Mixed_7c — the TF graph's max pool, kept as pytorch-fid keeps it).
 */
export function inceptionE(g: Graph, x: Value, name: string, inC: number, pool: "avg" | "max"): Value {
  const row = { kernel: [1, 3], pad: [0, 1] } as ConvSpec;
  const col = { kernel: [3, 1], pad: [1, 0] } as ConvSpec;
  return g.scope(name, () => {
    const b1 = basicConv(g, x, "branch1x1", inC, 320, { kernel: 1 });
    const b3 = basicConv(g, x, "branch3x3_1", inC, 384, { kernel: 1 });
    const b3s = concat(g, [
      basicConv(g, b3, "branch3x3_2a", 384, 384, row),
      basicConv(g, b3, "branch3x3_2b", 384, 384, col),
    ], 1);
    let bd = basicConv(g, x, "branch3x3dbl_1", inC, 448, { kernel: 1 });
    bd = basicConv(g, bd, "branch3x3dbl_2", 448, 384, { kernel: 3, pad: 1 });
    const bds = concat(g, [
      basicConv(g, bd, "branch3x3dbl_3a", 384, 384, row),
      basicConv(g, bd, "branch3x3dbl_3b", 384, 384, col),
    ], 1);
    const pooled = pool === "avg"
      ? tfAvgPool(g, x)
      : maxPool(g, x, { kernel: 3, stride: 1, pads: [1, 1, 1, 1] });
    const bp = basicConv(g, pooled, "branch_pool", inC, 192, { kernel: 1 });
    return concat(g, [b1, b3s, bds, bp], 1);
  });
}
