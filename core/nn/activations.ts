/**
 * Activations composed from ops (no gradient rules of their own).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, div, erf, f32, mul, sigmoid } from "../ops/mod.ts";

/** Exact GELU, x·½·(1 + erf(x/√2)) — torch's default `nn.GELU()`. */
export function gelu(g: Graph, x: Value): Value {
  const e = erf(g, div(g, x, g.constant(f32([], [Math.SQRT2]), "sqrt2")));
  const half = mul(g, x, g.constant(f32([], [0.5]), "half"));
  return mul(g, half, add(g, e, g.constant(f32([], [1]), "one")));
}

/** SiLU (swish), x·σ(x). */
export function silu(g: Graph, x: Value): Value {
  return mul(g, x, sigmoid(g, x));
}
