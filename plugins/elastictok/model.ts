/**
 * ElasticTok's graphs (LargeWorldModel/ElasticTok `elastic/model.py`), one
 * block of `frames_per_block` frames at a time with a KV cache, as upstream's
 * inference runs them (`recon_with_mask` with `cache_idx`):
 *
 * - `encoder`: video block (B,T,3,H,W) in [0,1], `kept_count` (B), the block's
 *   `positions` (K) and each encoder layer's `past_key_i`/`past_value_i`
 *   (B,heads,P,d) → `tokens` (FSQ int64 (B,1,K), −1 past the kept count; VAE
 *   means float32 (B,1,K,C), 0 there) and the `present_*` caches.
 *   x = 2·video − 1 → patchify (t,h,w,c) → in_proj + kept/masked embedding →
 *   LLaMA blocks (RMSNorm, RoPE θ, SwiGLU, no biases) → ln_f → pre_quant →
 *   FSQ or VAE mean → dropped positions zeroed.
 * - `decoder`: the block's `tokens` + `kept_count` + `positions` + decoder
 *   caches → `video` (B,T,3,H,W) = (tanh(out_proj(…)) + 1)/2 and `present_*`.
 * - `decoder_full`: the reference — every block of a full sequence
 *   (max_sequence_length tokens) at once under the block-causal mask, no cache.
 *
 * The newest block sees all cached positions and itself, so the cached graphs
 * need no mask. Parameter names are upstream's tree paths with the scanned
 * layers unstacked (`encoder.encoder_blocks.3.attention.wq.kernel`).
 * @module
 */
import { Graph, type Value } from "../../core/graph/graph.ts";
import { add, f32, greater, mul, reshape, slice, t, tanh, where } from "../../core/ops/mod.ts";
import { blockCausalMask } from "../../core/nn/block_mask.ts";
import { dense } from "../../core/nn/dense.ts";
import { addKeptEmbedding, dropMasked } from "../../core/nn/kept_embed.ts";
import { type KvCache } from "../../core/nn/masked_attention.ts";
import { llamaStack } from "../../core/nn/llama_block.ts";
import { patchify, unpatchify } from "../../core/nn/patchify.ts";
import { rmsNorm } from "../../core/nn/rms_norm.ts";
import { ropeGather } from "../../core/nn/rope.ts";
import { fsqIndicesToCodes, fsqQuantize } from "../../core/quantizers/fsq.ts";
import type { BuildOptions } from "../../core/plugin.ts";
import { type ElasticConfig, elasticDims } from "./config.ts";

const B = "batch";

/** Graph names. */
export const ELASTIC_GRAPHS = { encoder: "encoder", decoder: "decoder", full: "decoder_full" } as const;

function stackOptions(c: ElasticConfig) {
  return {
    width: c.hidden_size,
    hidden: c.intermediate_size,
    heads: c.num_attention_heads,
    eps: c.rms_norm_eps,
  };
}

/** bool (B, L): position j of a block is kept when j < count (count (B, blocks) or (B)). */
export function keptMask(g: Graph, count: Value, k: number, blocks: number): Value {
  const b = count.shape[0];
  const c = reshape(g, count, [b, blocks, 1]);
  const arange = g.constant(t("int64", [1, 1, k], [...Array(k).keys()]), "arange");
  return reshape(g, greater(g, c, arange), [b, blocks * k]);
}

function cacheInputs(g: Graph, c: ElasticConfig, layers: number): KvCache[] {
  const hd = elasticDims(c).headDim;
  return Array.from({ length: layers }, (_, i) => ({
    key: g.input(`past_key_${i}`, "float32", [B, c.num_attention_heads, "past", hd]),
    value: g.input(`past_value_${i}`, "float32", [B, c.num_attention_heads, "past", hd]),
  }));
}

function cacheOutputs(g: Graph, presents: KvCache[]): void {
  presents.forEach((p, i) => {
    g.output(p.key, `present_key_${i}`);
    g.output(p.value, `present_value_${i}`);
  });
}

/** Token layout → codes (B, L, C) zeroed at dropped positions. */
function tokensToCodes(g: Graph, c: ElasticConfig, tokens: Value, kept: Value, l: number): Value {
  const d = elasticDims(c);
  if (d.fsq) {
    const ids = where(g, kept, reshape(g, tokens, [B, l]), g.constant(t("int64", [], [0]), "no_id"));
    return dropMasked(g, fsqIndicesToCodes(g, ids, { levels: c.fsq_quant_levels }), kept);
  }
  return dropMasked(g, reshape(g, tokens, [B, l, d.code]), kept);
}

/** The decoder trunk: codes (B, L, C) → tanh output `y` in [−1, 1], `pixels` in [0, 1] (B, L, patch values), the caches. */
export function decoderTrunk(
  g: Graph,
  c: ElasticConfig,
  codes: Value,
  rope: { cos: Value; sin: Value },
  extra: { mask?: Value; pasts?: KvCache[] },
): { y: Value; pixels: Value; presents: KvCache[] } {
  const d = elasticDims(c);
  return g.scope("decoder", () => {
    const h = g.scope("post_quant", () => dense(g, codes, d.code, c.hidden_size));
    const r = g.scope(
      "decoder_blocks",
      () => llamaStack(g, h, c.num_decoder_layers, { ...stackOptions(c), rope, ...extra }),
    );
    const n = g.scope("ln_f", () => rmsNorm(g, r.out, c.hidden_size, c.rms_norm_eps));
    const y = tanh(g, g.scope("out_proj", () => dense(g, n, c.hidden_size, d.patchDim)));
    const half = g.constant(f32([], [0.5]), "half");
    return { y, pixels: mul(g, add(g, y, g.constant(f32([], [1]), "one")), half), presents: r.presents };
  });
}

/**
 * The encoder trunk: video (B,T,3,H,W) in [0,1] → patches in [−1,1] (B,K,P), the pre-quant
 * output z (B,K,proj) and the caches; `kept` is bool (B,K); `mask` (K,K) restricts attention
 * (the block-causal mask when several blocks are encoded at once, as in video training).
 */
export function encoderTrunk(
  g: Graph,
  c: ElasticConfig,
  video: Value,
  kept: Value,
  rope: { cos: Value; sin: Value },
  pasts?: KvCache[],
  mask?: Value,
): { patches: Value; z: Value; presents: KvCache[] } {
  const d = elasticDims(c);
  const x = add(g, mul(g, video, g.constant(f32([], [2]), "two")), g.constant(f32([], [-1]), "minus_one"));
  const patches = patchify(g, x, c.patch_size);
  return g.scope("encoder", () => {
    let h = g.scope("in_proj", () => dense(g, patches, d.patchDim, c.hidden_size));
    h = addKeptEmbedding(g, h, kept, c.hidden_size);
    const s = g.scope(
      "encoder_blocks",
      () => llamaStack(g, h, c.num_encoder_layers, { ...stackOptions(c), rope, pasts, mask }),
    );
    const n = g.scope("ln_f", () => rmsNorm(g, s.out, c.hidden_size, c.rms_norm_eps));
    return {
      patches,
      z: g.scope("pre_quant", () => dense(g, n, c.hidden_size, d.proj)),
      presents: s.presents,
    };
  });
}

/** The block encoder (see the module doc). */
export function encoderGraph(c: ElasticConfig, _o: BuildOptions = {}): Graph {
  const d = elasticDims(c);
  const g = new Graph("elastictok_encoder");
  const video = g.input("video", "float32", [B, d.frames, 3, d.size, d.size]);
  const count = g.input("kept_count", "int64", [B]);
  const positions = g.input("positions", "int64", [d.tokens]);
  const pasts = cacheInputs(g, c, c.num_encoder_layers);
  const kept = keptMask(g, count, d.tokens, 1);
  const rope = ropeGather(g, positions, c.max_sequence_length, d.headDim, c.theta);
  const r = encoderTrunk(g, c, video, kept, rope, pasts);
  if (d.fsq) {
    const q = fsqQuantize(g, r.z, { levels: c.fsq_quant_levels });
    const ids = where(g, kept, q.indices!, g.constant(t("int64", [], [-1]), "not_sent"));
    g.output(reshape(g, ids, [B, 1, d.tokens]), "tokens");
  } else {
    const mean = dropMasked(g, slice(g, r.z, -1, 0, d.code), kept);
    g.output(reshape(g, mean, [B, 1, d.tokens, d.code]), "tokens");
  }
  cacheOutputs(g, r.presents);
  return g;
}

function tokenInput(g: Graph, c: ElasticConfig, l: number): Value {
  const d = elasticDims(c);
  return d.fsq ? g.input("tokens", "int64", [B, 1, l]) : g.input("tokens", "float32", [B, 1, l, d.code]);
}

/** The block decoder with a KV cache (see the module doc). */
export function decoderGraph(c: ElasticConfig): Graph {
  const d = elasticDims(c);
  const g = new Graph("elastictok_decoder");
  const tokens = tokenInput(g, c, d.tokens);
  const count = g.input("kept_count", "int64", [B]);
  const positions = g.input("positions", "int64", [d.tokens]);
  const pasts = cacheInputs(g, c, c.num_decoder_layers);
  const kept = keptMask(g, count, d.tokens, 1);
  const codes = tokensToCodes(g, c, tokens, kept, d.tokens);
  const rope = ropeGather(g, positions, c.max_sequence_length, d.headDim, c.theta);
  const r = decoderTrunk(g, c, codes, rope, { pasts });
  g.output(unpatchify(g, r.pixels, c.patch_size, [d.frames, d.size, d.size]), "video");
  cacheOutputs(g, r.presents);
  return g;
}

/** Every block of a full sequence at once under the block-causal mask (the reference for the cache). */
export function decoderFullGraph(c: ElasticConfig): Graph {
  const d = elasticDims(c);
  const nb = d.maxBlocks;
  const l = nb * d.tokens;
  const g = new Graph("elastictok_decoder_full");
  const tokens = tokenInput(g, c, l);
  const count = g.input("kept_count", "int64", [B, nb]);
  const kept = keptMask(g, count, d.tokens, nb);
  const codes = tokensToCodes(g, c, tokens, kept, l);
  const positions = g.constant(t("int64", [l], [...Array(l).keys()]), "positions");
  const rope = ropeGather(g, positions, c.max_sequence_length, d.headDim, c.theta);
  const mask = g.constant(blockCausalMask(l, d.tokens), "block_causal");
  const r = decoderTrunk(g, c, codes, rope, { mask });
  g.output(unpatchify(g, r.pixels, c.patch_size, [nb * d.frames, d.size, d.size]), "video");
  return g;
}

/** The family's graph builders. */
export function elasticGraphs(c: ElasticConfig, o: BuildOptions): Record<string, () => Graph> {
  return {
    [ELASTIC_GRAPHS.encoder]: () => encoderGraph(c, o),
    [ELASTIC_GRAPHS.decoder]: () => decoderGraph(c),
    [ELASTIC_GRAPHS.full]: () => decoderFullGraph(c),
  };
}
