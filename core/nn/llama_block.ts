/**
 * The LLaMA transformer block, pre-norm, bias-free, as ElasticTok's
 * `TransformerBlock`: x += Attn(RMSNorm(x)); x += SwiGLU(RMSNorm(x)), with
 * parameters `attention_norm`, `attention.{wq,wk,wv,wo}`, `ffn_norm`,
 * `feed_forward.{w1,w2,w3}` — the names of both ElasticTok's Flax tree and
 * Meta's LLaMA checkpoints. A stack puts block i under scope `i`, the naming
 * of upstream's unscanned layers (`encoder_blocks/3/attention/wq/kernel`);
 * scanned checkpoints are unstacked into it at load time
 * (core/weights/msgpack_params.ts).
 *
 * @example
 * ```ts
 * const g = new Graph("demo");
 * const x = g.input("x", "float32", [1, 8, 64]);
 * const o = { width: 64, hidden: 128, heads: 4, eps: 1e-5, mask: g.constant(blockCausalMask(8, 4)) };
 * const { out } = g.scope("encoder_blocks", () => llamaStack(g, x, 2, o)); // encoder_blocks.0.attention.wq.kernel, …
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add } from "../ops/mod.ts";
import { type AttentionOptions, type KvCache, llamaAttention } from "./masked_attention.ts";
import { rmsNorm } from "./rms_norm.ts";
import { swiglu } from "./swiglu.ts";

/** Options of {@link llamaBlock}: attention options plus the MLP width and the norms' ε. */
export interface LlamaBlockOptions extends AttentionOptions {
  hidden: number;
  /** RMSNorm ε (ElasticTok 200m: 1e-5; its `debug` config: 1e-6). */
  eps: number;
}

/** One block over x (B, L, width): its output and the present KV cache. */
export function llamaBlock(g: Graph, x: Value, o: LlamaBlockOptions): { out: Value; present: KvCache } {
  const h = g.scope("attention_norm", () => rmsNorm(g, x, o.width, o.eps, o));
  const attn = g.scope("attention", () => llamaAttention(g, h, o));
  const mid = add(g, x, attn.out);
  const h2 = g.scope("ffn_norm", () => rmsNorm(g, mid, o.width, o.eps, o));
  const ff = g.scope("feed_forward", () => swiglu(g, h2, o.width, o.hidden, o));
  return { out: add(g, mid, ff), present: attn.present };
}

/** `depth` blocks under scopes `0`…`depth−1`; `pasts[i]` is block i's cache. */
export function llamaStack(
  g: Graph,
  x: Value,
  depth: number,
  o: Omit<LlamaBlockOptions, "past"> & { pasts?: KvCache[] },
): { out: Value; presents: KvCache[] } {
  if (o.pasts && o.pasts.length !== depth) {
    throw new Error(`llamaStack: ${o.pasts.length} caches for ${depth} blocks`);
  }
  const presents: KvCache[] = [];
  for (let i = 0; i < depth; i++) {
    const r = g.scope(i, () => llamaBlock(g, x, { ...o, past: o.pasts?.[i] }));
    x = r.out;
    presents.push(r.present);
  }
  return { out: x, presents };
}
