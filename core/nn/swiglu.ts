/**
 * The LLaMA feed-forward: y = W₂ · (SiLU(W₁x) ⊙ W₃x), no biases. Parameter
 * names follow LLaMA and ElasticTok (`w1`, `w2`, `w3`), each a bias-free
 * dense layer in the layout chosen ({@link LayerParams}).
 *
 * @example
 * ```ts
 * const g = new Graph("demo");
 * const x = g.input("x", "float32", [1, 4, 8]);
 * const y = g.scope("feed_forward", () => swiglu(g, x, 8, 16)); // feed_forward.w1.kernel (8, 16), …
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { mul } from "../ops/mod.ts";
import { silu } from "./activations.ts";
import { dense, type LayerParams } from "./dense.ts";

/** SwiGLU MLP from `width` to `hidden` and back, parameters `w1`, `w2`, `w3` in the current scope. */
export function swiglu(g: Graph, x: Value, width: number, hidden: number, o: LayerParams = {}): Value {
  const gate = g.scope("w1", () => dense(g, x, width, hidden, o));
  const up = g.scope("w3", () => dense(g, x, width, hidden, o));
  return g.scope("w2", () => dense(g, mul(g, silu(g, gate), up), hidden, width, o));
}
