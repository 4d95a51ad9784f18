/**
 * MARVEL's graphs (PadrickLeee/MDQ): TiTok's ViT encoder and decoder
 * (core/nn/titok_vit.ts) around multi-depth lookup-free quantisation
 * (core/quantizers/lfq.ts). The encoder output (B,C,1,K) is quantised at D
 * depths into int64 tokens (B,1,K,D); the decoder reads
 * ẑ = Σ_{d<D} 2^−d·(2·bits(token_d) − 1) as (B,C,1,K).
 *
 * `decodeTokens` takes (B,1,K,D) with −1 marking a depth that was not sent,
 * so any prefix of d ≤ D depths decodes coarse-to-fine (the Tokenizer pads a
 * (B,1,K,d) prefix with −1). Upstream's own `decode_tokens` cannot do this:
 * it hard-codes 4 depths, reshapes K into a square grid and imports nothing
 * for `math`; its `forward` → `decode` path is what the port follows.
 *
 * @example
 * ```ts
 * const encoder = marvelEncodeGraph(marvelSchema.parse(presets.tiny));
 * // image → tokens int64 (B,1,K,D), latent (B,C,1,K)
 * ```
 * @module
 */
import { pixelDecoderConfig, titokVitArch, vitSizeOf } from "../../core/nn/titok_vit_schema.ts";
import { Graph, type Value } from "../../core/graph/graph.ts";
import {
  vitTokenDecoder,
  type VitTokenDecoderArch,
  vitTokenEncoder,
  type VitTokenEncoderArch,
} from "../../core/nn/titok_vit.ts";
import { transpose } from "../../core/ops/mod.ts";

import {
  lfqIndicesToCodes,
  type LfqOptions,
  lfqQuantize,
  type QuantizeResult,
} from "../../core/quantizers/mod.ts";
import type { MarvelConfig } from "./config.ts";

/** The symbolic batch dim of inference graphs. */
const BATCH = "batch";

/** Derived sizes of a config. */
export function dims(c: MarvelConfig) {
  const m = c.model.vq_model;
  const image = c.dataset.preprocessing.crop_size;
  return {
    image,
    enc: vitSizeOf(m, "enc"),
    dec: vitSizeOf(m, "dec"),
    k: m.num_latent_tokens,
    c: m.token_size,
    depth: m.num_depths,
    pixel: pixelDecoderConfig(m.pixel_decoder),
  };
}

/** The plain architecture of the encoder and decoder halves. */
export function marvelArch(c: MarvelConfig): { encoder: VitTokenEncoderArch; decoder: VitTokenDecoderArch } {
  return titokVitArch(c.model.vq_model, c.dataset.preprocessing.crop_size);
}

/** The LFQ settings of a config; `entropy` adds the entropy terms (training graphs). */
export function lfqOptions(c: MarvelConfig, entropy = false): LfqOptions {
  const m = c.model.vq_model;
  return {
    bits: m.token_size,
    depth: m.num_depths,
    commitment: m.commitment_cost,
    entropyWeight: m.entropy_loss_weight,
    temperature: m.entropy_loss_temperature,
    gamma: m.entropy_gamma,
    entropy,
  };
}

/** Image (B,3,S,S) in [0,1] → raw encoder output (B,C,1,K). */
export function marvelEncoder(g: Graph, image: Value, c: MarvelConfig): Value {
  return vitTokenEncoder(g, image, marvelArch(c).encoder);
}

/** Raw encoder output (B,C,1,K) → LFQ result: tokens (B,1,K,D), straight-through latent (B,1,K,C), losses. */
export function marvelQuantize(g: Graph, raw: Value, c: MarvelConfig, entropy = false): QuantizeResult {
  return g.scope("quantize", () => lfqQuantize(g, transpose(g, raw, [0, 2, 3, 1]), lfqOptions(c, entropy)));
}

/** Latent (B,C,1,K) → image (B,3,S,S), unclamped; legacy heads also return the MaskGIT-code logits. */
export function marvelDecoder(g: Graph, z: Value, c: MarvelConfig): { image: Value; logits?: Value } {
  return vitTokenDecoder(g, z, marvelArch(c).decoder);
}

/** Tokens (B,1,K,D) int64, −1 = depth not sent → latent (B,C,1,K). */
export function marvelTokensToLatent(g: Graph, tokens: Value, c: MarvelConfig): Value {
  return transpose(g, lfqIndicesToCodes(g, tokens, lfqOptions(c)), [0, 3, 1, 2]);
}

/** The graph names MARVEL's programs run (core/programs.ts). */
export const MARVEL_GRAPHS = {
  encoder: "encoder",
  decoder: "decoder",
  decodeTokens: "decode_tokens",
} as const;

/** image → tokens (B,1,K,D), latent (B,C,1,K). */
export function marvelEncodeGraph(c: MarvelConfig): Graph {
  const d = dims(c);
  const encode = new Graph("marvel_encode");
  const image = encode.input("image", "float32", [BATCH, 3, d.image, d.image]);
  const q = marvelQuantize(encode, marvelEncoder(encode, image, c), c);
  encode.output(q.indices, "tokens");
  encode.output(transpose(encode, q.quantized, [0, 3, 1, 2]), "latent");
  return encode;
}

/** latent (B,C,1,K) → image (and the MaskGIT-code logits of legacy heads). */
export function marvelDecodeGraph(c: MarvelConfig): Graph {
  const d = dims(c);
  const decode = new Graph("marvel_decode");
  const out = marvelDecoder(decode, decode.input("latent", "float32", [BATCH, d.c, 1, d.k]), c);
  decode.output(out.image, "image");
  if (out.logits && out.logits !== out.image) decode.output(out.logits, "logits");
  return decode;
}

/** tokens (B,1,K,D), −1 = depth not sent → image. */
export function marvelDecodeTokensGraph(c: MarvelConfig): Graph {
  const d = dims(c);
  const decodeTokens = new Graph("marvel_decode_tokens");
  const tokens = decodeTokens.input("tokens", "int64", [BATCH, 1, d.k, d.depth]);
  const z = marvelTokensToLatent(decodeTokens, tokens, c);
  decodeTokens.output(marvelDecoder(decodeTokens, z, c).image, "image");
  return decodeTokens;
}

/** MARVEL's graphs by name, each built on demand. */
export function marvelGraphs(c: MarvelConfig): Record<string, () => Graph> {
  return {
    [MARVEL_GRAPHS.encoder]: () => marvelEncodeGraph(c),
    [MARVEL_GRAPHS.decoder]: () => marvelDecodeGraph(c),
    [MARVEL_GRAPHS.decodeTokens]: () => marvelDecodeTokensGraph(c),
  };
}
