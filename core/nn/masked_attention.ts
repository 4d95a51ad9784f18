/**
 * LLaMA-style multi-head self-attention: bias-free `wq`, `wk`, `wv`, `wo`,
 * optional RoPE on queries and keys, a boolean mask, and an optional KV cache.
 * Scores are q·kᵀ/√d; masked entries are set to the dtype's lowest finite
 * value before the softmax (as ElasticTok's `jnp.where(mask, w, finfo.min)`),
 * so a row that sees nothing gives a uniform average instead of NaN.
 *
 * The cache holds keys (after RoPE) and values as (B, heads, P, d). With
 * `past`, the new keys/values are appended and returned as `present`
 * (B, heads, P + L, d), so one graph with a symbolic P decodes block after
 * block. The mask (bool, true = may attend) broadcasts to (B, heads, L, P + L);
 * when P is symbolic its last dim must carry the same symbol as the present
 * keys (or leave the mask out where every cached key is visible, as for the
 * newest block under a block-causal mask).
 *
 * @example
 * ```ts
 * const g = new Graph("demo");
 * const x = g.input("x", "float32", [1, 8, 64]);
 * const mask = g.constant(blockCausalMask(8, 4));
 * const { out } = g.scope("attention", () => llamaAttention(g, x, { width: 64, heads: 4, mask }));
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { concat, matmul, mul, reshape, softmax, transpose, where } from "../ops/mod.ts";
import { constLike, dense, type LayerParams } from "./dense.ts";
import { applyRope } from "./rope.ts";

/** Cached keys and values, each (B, heads, P, head dim). */
export interface KvCache {
  key: Value;
  value: Value;
}

/** Options of {@link llamaAttention}. */
export interface AttentionOptions extends LayerParams {
  width: number;
  heads: number;
  /** cos/sin tables for the query positions, (L, d/2) or (B, L, d/2) (see rope.ts); no RoPE when absent. */
  rope?: { cos: Value; sin: Value };
  /** bool, true where a query may attend to a key; broadcasts to (B, heads, L, keys). */
  mask?: Value;
  /** The cache of earlier positions. */
  past?: KvCache;
}

/** Self-attention over x (B, L, width): the projected output and the cache including this call's keys. */
export function llamaAttention(g: Graph, x: Value, o: AttentionOptions): { out: Value; present: KvCache } {
  const [b, l] = x.shape;
  const hd = o.width / o.heads;
  if (!Number.isInteger(hd)) {
    throw new Error(`attention: width ${o.width} is not divisible by ${o.heads} heads`);
  }
  const project = (name: string) =>
    reshape(g, g.scope(name, () => dense(g, x, o.width, o.width, o)), [b, l, o.heads, hd]);
  let q = project("wq");
  let k = project("wk");
  const v = project("wv");
  if (o.rope) {
    q = applyRope(g, q, o.rope.cos, o.rope.sin);
    k = applyRope(g, k, o.rope.cos, o.rope.sin);
  }
  const heads = (t: Value) => transpose(g, t, [0, 2, 1, 3]);
  let key = heads(k);
  let value = heads(v);
  if (o.past) {
    key = concat(g, [o.past.key, key], 2);
    value = concat(g, [o.past.value, value], 2);
  }
  const qs = mul(g, heads(q), constLike(g, x, [], [1 / Math.sqrt(hd)], "attn_scale"));
  let scores = matmul(g, qs, transpose(g, key, [0, 1, 3, 2]));
  if (o.mask) {
    const lowest = x.dtype === "float64" ? -Number.MAX_VALUE : -3.4028234663852886e38;
    scores = where(g, o.mask, scores, constLike(g, x, [], [lowest], "attn_masked"));
  }
  const ctx = matmul(g, softmax(g, scores, -1), value);
  const merged = reshape(g, transpose(g, ctx, [0, 2, 1, 3]), [b, l, o.width]);
  const out = g.scope("wo", () => dense(g, merged, o.width, o.width, o));
  return { out, present: { key, value } };
}
