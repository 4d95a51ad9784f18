/**
 * Normalisation layers with torch naming (`weight`, `bias`).
 *
 * GroupNorm is built as Reshape + LayerNormalization + per-channel affine
 * (plain ONNX, differentiable). It is also marked as a {@link Fusion}: an
 * inference session on the CPU applies the affine in one BatchNormalization
 * pass over the (1, N·C, H, W) view instead of a Mul and an Add pass
 * (core/runtime/fusion_pass.ts; bench/README.md, "fp32 lead").
 * @module
 */
import { float, type Fusion, type Graph, type Value } from "../graph/graph.ts";
import { type Dim, fmt } from "../graph/shape.ts";
import { add, expand, f32, i64const, layerNorm as layerNormOp, mul, reshape } from "../ops/mod.ts";

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
 * The same GroupNorm with its affine as one BatchNormalization pass: LayerNormalization over each
 * group (as built), then y = γ·x̂ + β by BatchNormalization (mean 0, variance 1, epsilon 0) over the
 * (1, N·C, H, W) view, where every (sample, channel) is a channel — instead of a Mul and an Add
 * pass. (Statistics from E[x²] − mean² would save the normalised write too, but lose ~1e-4 to
 * cancellation in a VQGAN decoder's deep layers.)
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
  const flat = reshape(g, x, [n, groups, -1] as Dim[]);
  const normed = layerNormOp(
    g,
    flat,
    g.constant(f32([1], [1]), "one"),
    g.constant(f32([1], [0]), "zero"),
    eps,
    2,
  );
  const channels: Dim = typeof n === "number" ? n * c : `${n}*${c}`;
  // γ and β repeated for every sample: (C) → (N·C).
  const perItem = (t: Value) =>
    g.addNode("Reshape", [expand(g, reshape(g, t, [1, c]), [n, c], x), i64const(g, [-1])], {}, [{
      dtype: t.dtype,
      shape: [channels],
    }])[0];
  const scale = perItem(weight), shift = perItem(bias);
  const zeros = mul(g, scale, g.constant(f32([], [0]), "zero"));
  const ones = add(g, zeros, g.constant(f32([], [1]), "one"));
  const view = g.addNode("Reshape", [normed, i64const(g, [1, -1, h, w])], {}, [{
    dtype: x.dtype,
    shape: [1, channels, h, w],
  }])[0];
  const y = g.addNode("BatchNormalization", [view, scale, shift, zeros, ones], { epsilon: float(0) }, [{
    dtype: x.dtype,
    shape: view.shape,
  }])[0];
  return g.addNode("Reshape", [y, i64const(g, typeof n === "number" ? [n, c, h, w] : [-1, c, h, w])], {}, [{
    dtype: x.dtype,
    shape: x.shape,
  }])[0];
}
