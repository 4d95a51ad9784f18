/**
 * RMSNorm (LLaMA, T5): y = x · 1/√(mean(x²) + ε) · weight over the last axis,
 * no mean subtraction, no bias. The scale is `kernel` in Flax checkpoints
 * (ElasticTok's `attention_norm/kernel`) and `weight` in torch ones.
 *
 * @example
 * ```ts
 * const g = new Graph("demo");
 * const x = g.input("x", "float32", [1, 4, 8]);
 * const y = g.scope("ln_f", () => rmsNorm(g, x, 8, 1e-5)); // parameter ln_f.kernel (8)
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, div, mul, reduceMean, sqrt } from "../ops/mod.ts";
import { constLike, type LayerParams, paramFn, weightName } from "./dense.ts";

/** RMSNorm over the last axis of x (…, dim); its scale lives in the current scope. */
export function rmsNorm(g: Graph, x: Value, dim: number, eps = 1e-6, o: LayerParams = {}): Value {
  if (x.shape.at(-1) !== dim) {
    throw new Error(`rmsNorm(${dim}) on a value whose last axis is ${x.shape.at(-1)}`);
  }
  const weight = paramFn(g, o)(weightName(o), [dim]);
  const meanSquare = reduceMean(g, mul(g, x, x), [-1], true);
  const rms = sqrt(g, add(g, meanSquare, constLike(g, x, [], [eps], "rms_eps")));
  return mul(g, div(g, x, rms), weight);
}
