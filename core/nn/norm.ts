/**
 * Normalisation layers with torch naming (`weight`, `bias`).
 *
 * GroupNorm is built as Reshape + LayerNormalization + per-channel affine
 * (plain ONNX, differentiable). It is also marked as a {@link Fusion}: an
 * inference session on the CPU computes the statistics with two reductions
 * and applies normalisation and affine in one BatchNormalization pass over
 * the (1, N·C, H, W) view, three passes over the activation fewer
 * (core/runtime/fusion_pass.ts; bench/README.md, "fp32 lead").
 * @module
 */
import { float, type Fusion, type Graph, type Value } from "../graph/graph.ts";
import { type Dim, fmt } from "../graph/shape.ts";
import {
  add,
  div,
  expand,
  f32,
  i64const,
  layerNorm as layerNormOp,
  mul,
  reduceMean,
  reduceSumSquare,
  reshape,
  sqrt,
  sub,
} from "../ops/mod.ts";

/** torch.nn.LayerNorm over the last axis (eps 1e-5 by default). */
export function layerNorm(g: Graph, x: Value, dim: number, eps = 1e-5): Value {
  return layerNormOp(g, x, g.param("weight", [dim]), g.param("bias", [dim]), eps, -1);
}

/**
 * torch.nn.GroupNorm on NCHW: statistics per (sample, group) over its
 * channels and pixels, then a per-channel affine.
 */
export function groupNorm(g: Graph, x: Value, groups: number, channels: number, eps: number): Value {
  const [n, c, h, w] = x.shape;
  if (c !== channels || channels % groups) {
    throw new Error(`GroupNorm(${groups}, ${channels}) on ${fmt(x.shape)}`);
  }
  const weight = g.param("weight", [channels]);
  const bias = g.param("bias", [channels]);
  const flat = reshape(g, x, [n, groups, -1] as Dim[]);
  const one = g.constant(f32([1], [1]), "one");
  const zero = g.constant(f32([1], [0]), "zero");
  const normed = layerNormOp(g, flat, one, zero, eps, 2);
  const back = reshape(g, normed, [n, c, h, w]);
  const y = add(g, mul(g, back, reshape(g, weight, [channels, 1, 1])), reshape(g, bias, [channels, 1, 1]));
  const fusion: Fusion = {
    kind: "group-norm",
    inputs: [x, weight, bias],
    outputs: [y],
    build: (g, [x, weight, bias]) => [groupNormOnePass(g, x, weight, bias, groups, eps)],
  };
  g.fusions.push(fusion);
  return y;
}

/**
 * The same GroupNorm as statistics + one BatchNormalization pass: mean and mean square per group
 * (two reading passes), scale a = γ/√(var + eps) and shift b = β − mean·a per (sample, channel),
 * then y = a·x + b by BatchNormalization (mean 0, variance 1, epsilon 0) over the (1, N·C, H, W)
 * view, where every (sample, channel) is a channel.
 */
function groupNormOnePass(
  g: Graph,
  x: Value,
  weight: Value,
  bias: Value,
  groups: number,
  eps: number,
): Value {
  const [n, c, h, w] = x.shape as [Dim, number, number, number];
  const per = (c / groups) * h * w;
  const flat = reshape(g, x, [n, groups, -1] as Dim[]);
  const mean = reduceMean(g, flat, [2]); // (N, G, 1)
  const meanSquare = mul(g, reduceSumSquare(g, flat, [2]), g.constant(f32([], [1 / per]), "inv_count"));
  const variance = sub(g, meanSquare, mul(g, mean, mean));
  const inv = div(
    g,
    g.constant(f32([], [1]), "one"),
    sqrt(g, add(g, variance, g.constant(f32([], [eps]), "eps"))),
  );
  // Per group → per channel: (N, G, 1) → (N, G, C/G) → (N, C).
  const perChannel = (t: Value) => reshape(g, expand(g, t, [n, groups, c / groups], x), [n, c]);
  const scale = mul(g, perChannel(inv), weight);
  const shift = sub(g, bias, mul(g, perChannel(mean), scale));
  const channels: Dim = typeof n === "number" ? n * c : `${n}*${c}`;
  const flatNC = (t: Value) =>
    g.addNode("Reshape", [t, i64const(g, [-1])], {}, [{ dtype: t.dtype, shape: [channels] }])[0];
  const zeros = mul(g, flatNC(scale), g.constant(f32([], [0]), "zero"));
  const ones = add(g, zeros, g.constant(f32([], [1]), "one"));
  const view = g.addNode("Reshape", [x, i64const(g, [1, -1, h, w])], {}, [{
    dtype: x.dtype,
    shape: [1, channels, h, w],
  }])[0];
  const y = g.addNode(
    "BatchNormalization",
    [view, flatNC(scale), flatNC(shift), zeros, ones],
    { epsilon: float(0) },
    [{ dtype: x.dtype, shape: view.shape }],
  )[0];
  return g.addNode("Reshape", [y, i64const(g, typeof n === "number" ? [n, c, h, w] : [-1, c, h, w])], {}, [{
    dtype: x.dtype,
    shape: x.shape,
  }])[0];
}
