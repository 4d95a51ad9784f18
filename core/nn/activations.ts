/**
 * Activations composed from ops. GELU carries its own gradient rule
 * (core/autodiff/custom.ts): d/dx of x·Φ(x) is Φ(x) + x·φ(x), computed from x
 * alone, so the backward keeps only x and ONNX Runtime fuses the forward
 * chain into one Gelu kernel.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, div, erf, exp, mul, neg, sigmoid } from "../ops/mod.ts";
import { scalar } from "../ops/_grad/rule.ts";
import { customGradient } from "../autodiff/custom.ts";

/** Exact GELU, x·½·(1 + erf(x/√2)) — torch's default `nn.GELU()`. */
export function gelu(g: Graph, x: Value): Value {
  // Div(√2) → Erf → Add(1) with Mul(x, ½): the pattern of ORT's GeluFusion.
  const e = erf(g, div(g, x, scalar(g, x, Math.SQRT2)));
  const half = mul(g, x, scalar(g, x, 0.5));
  const y = mul(g, half, add(g, e, scalar(g, x, 1)));
  customGradient(g, y, [x], (g, dy) => [mul(g, dy, geluDerivative(g, x))]);
  return y;
}

/** GELU′(x) = Φ(x) + x·φ(x) = ½·(1 + erf(u) + (2/√π)·u·e^(−u²)) with u = x/√2. */
export function geluDerivative(g: Graph, x: Value): Value {
  const u = mul(g, x, scalar(g, x, Math.SQRT1_2));
  const gauss = exp(g, neg(g, mul(g, u, u)));
  const twice = add(
    g,
    add(g, erf(g, u), scalar(g, x, 1)),
    mul(g, mul(g, u, gauss), scalar(g, x, 2 / Math.sqrt(Math.PI))),
  );
  return mul(g, twice, scalar(g, x, 0.5));
}

/** SiLU (swish), x·σ(x). */
export function silu(g: Graph, x: Value): Value {
  return mul(g, x, sigmoid(g, x));
}
