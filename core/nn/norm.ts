/**
 * Normalisation layers with torch naming (`weight`, `bias`).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { type Dim, fmt } from "../graph/shape.ts";
import { add, f32, layerNorm as layerNormOp, mul, reshape } from "../ops/mod.ts";

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
  const flat = reshape(g, x, [n, groups, -1] as Dim[]);
  const one = g.constant(f32([1], [1]), "one");
  const zero = g.constant(f32([1], [0]), "zero");
  const normed = layerNormOp(g, flat, one, zero, eps, 2);
  const back = reshape(g, normed, [n, c, h, w]);
  const scale = reshape(g, g.param("weight", [channels]), [channels, 1, 1]);
  const shift = reshape(g, g.param("bias", [channels]), [channels, 1, 1]);
  return add(g, mul(g, back, scale), shift);
}
