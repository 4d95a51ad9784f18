/**
 * ElasticTok's tail-drop conditioning (`elastic/model.py`): the encoder adds
 * `is_kept_embed` at positions that will keep their code and
 * `is_masked_embed` elsewhere (both (1, width)), so it sees every patch but
 * knows which positions survive; after the bottleneck, codes at dropped
 * positions are set to 0 (`jnp.where(encoding_mask[..., None], z, 0)`), and
 * the bias-free `post_quant` keeps them 0 in the decoder.
 *
 * @example
 * ```ts
 * const g = new Graph("demo");
 * const h = g.input("h", "float32", [1, 4096, 1024]);
 * const kept = g.input("kept", "bool", [1, 4096]);
 * const x = g.scope("encoder", () => addKeptEmbedding(g, h, kept, 1024)); // encoder.is_kept_embed, encoder.is_masked_embed
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, unsqueeze, where } from "../ops/mod.ts";
import { constLike, type LayerParams, paramFn } from "./dense.ts";

/** x (B, L, width) + (kept ? is_kept_embed : is_masked_embed); `kept` is bool (B, L). */
export function addKeptEmbedding(g: Graph, x: Value, kept: Value, width: number, o: LayerParams = {}): Value {
  const p = paramFn(g, o);
  const keptEmbed = p("is_kept_embed", [1, width]);
  const maskedEmbed = p("is_masked_embed", [1, width]);
  return add(g, x, where(g, unsqueeze(g, kept, [-1]), keptEmbed, maskedEmbed));
}

/** z (B, L, C) with positions where `kept` (bool (B, L)) is false set to 0. */
export function dropMasked(g: Graph, z: Value, kept: Value): Value {
  return where(g, unsqueeze(g, kept, [-1]), z, constLike(g, z, [], [0], "dropped"));
}
