/**
 * TiTok's graphs (https://arxiv.org/abs/2406.07550): a ViT encoder that reads
 * [cls, patches, K latent queries] and keeps the K latent outputs, a VQ or
 * Gaussian bottleneck, and a ViT decoder over [cls, mask tokens, K latents]
 * followed by either the legacy head (1024 MaskGIT-code logits → softmax-
 * weighted MaskGIT codebook → MaskGIT-VQGAN decoder) or the direct pixel head.
 *
 * Parameter names are upstream's state-dict keys; quirks are reproduced: the
 * legacy row-major reshape of (B,K,W) into (B,W,K,1) before `conv_out`. The
 * two ViT halves live in core/nn/titok_vit.ts (MARVEL shares them).
 * @module
 */
import { pixelDecoderConfig, titokVitArch, vitSizeOf } from "../../core/nn/titok_vit_schema.ts";
import type { Graph, Value } from "../../core/graph/graph.ts";
import { Graph as G } from "../../core/graph/graph.ts";
import {
  vitTokenDecoder,
  type VitTokenDecoderArch,
  vitTokenEncoder,
  type VitTokenEncoderArch,
} from "../../core/nn/titok_vit.ts";
import { transpose } from "../../core/ops/mod.ts";
import {
  fsqCodebookSize,
  fsqIndicesToCodes,
  type FsqOptions,
  fsqQuantize,
  gaussianPosterior,
  gaussianSample,
  vqIndicesToCodes,
  type VqOptions,
  vqQuantize,
} from "../../core/quantizers/mod.ts";
import type { BuildOptions } from "../../core/plugin.ts";
import type { TiTokConfig } from "./config.ts";

/** The symbolic batch dim of inference graphs (training graphs use a fixed batch). */
const BATCH = "batch";

/** Derived sizes of a config. */
export function dims(c: TiTokConfig) {
  const m = c.model.vq_model;
  const image = c.dataset.preprocessing.crop_size;
  const enc = vitSizeOf(m, "enc");
  const dec = vitSizeOf(m, "dec");
  return {
    image,
    enc,
    dec,
    k: m.num_latent_tokens,
    c: m.token_size,
    encGrid: image / m.vit_enc_patch_size,
    decGrid: image / m.vit_dec_patch_size,
    vae: m.quantize_mode === "vae",
    fsq: m.quantize_mode === "fsq",
    twoStage: m.is_legacy && m.finetune_decoder,
    pixel: pixelDecoderConfig(m.pixel_decoder),
  };
}

/** The plain architecture of a config's encoder and decoder halves (core/nn/titok_vit.ts). */
export function titokArch(c: TiTokConfig): { encoder: VitTokenEncoderArch; decoder: VitTokenDecoderArch } {
  const m = c.model.vq_model;
  return titokVitArch(
    m,
    c.dataset.preprocessing.crop_size,
    m.quantize_mode === "vae" ? 2 * m.token_size : m.token_size,
  );
}

/** Image (B,3,S,S) in [0,1] → raw encoder output (B, C or 2C, 1, K). */
export function titokEncoder(g: Graph, image: Value, c: TiTokConfig): Value {
  return vitTokenEncoder(g, image, titokArch(c).encoder);
}

/** Latent (B,C,1,K) → image (B,3,S,S), unclamped; legacy models also return the code logits. */
export function titokDecoder(g: Graph, z: Value, c: TiTokConfig): { image: Value; logits?: Value } {
  return vitTokenDecoder(g, z, titokArch(c).decoder);
}

/** The shared VQ layer's options for a TiTok config. */
export function vqOptions(c: TiTokConfig): VqOptions {
  const m = c.model.vq_model;
  return {
    codebookSize: m.codebook_size,
    dim: m.token_size,
    l2norm: m.use_l2_norm,
    commitment: m.commitment_cost,
  };
}

/** The FSQ layer's options of an `fsq` config (levels checked by the schema). */
export function fsqOptions(c: TiTokConfig): FsqOptions {
  return { levels: c.model.vq_model.fsq_levels ?? [] };
}

/** The number of distinct token ids: the VQ codebook, or the product of the FSQ levels. */
export function vocabularySize(c: TiTokConfig): number {
  const m = c.model.vq_model;
  return m.quantize_mode === "fsq" ? fsqCodebookSize(fsqOptions(c)) : m.codebook_size;
}

/** The discrete bottleneck (VQ or FSQ) on z (B,1,K,C): straight-through codes, indices and VQ losses. */
export function titokQuantize(g: Graph, z: Value, c: TiTokConfig) {
  return g.scope(
    "quantize",
    () => dims(c).fsq ? fsqQuantize(g, z, fsqOptions(c)) : vqQuantize(g, z, vqOptions(c)),
  );
}

/** The graph names TiTok's programs run (core/programs.ts). */
export const TITOK_GRAPHS = {
  encoder: "encoder",
  decoder: "decoder",
  decodeTokens: "decode_tokens",
} as const;

/** image → tokens, latent (VAE: the posterior mean, or a sample with a `noise` input). */
export function titokEncodeGraph(c: TiTokConfig, opts: BuildOptions = {}): Graph {
  const d = dims(c);
  const B = BATCH;
  const encode = new G("titok_encode");
  const image = encode.input("image", "float32", [B, 3, d.image, d.image]);
  const raw = titokEncoder(encode, image, c);
  if (d.vae) {
    const post = gaussianPosterior(encode, raw, 1);
    const latent = opts.sample
      ? gaussianSample(encode, post, encode.input("noise", "float32", [B, d.c, 1, d.k]))
      : post.mean;
    encode.output(latent, "tokens");
    encode.output(latent, "latent");
    encode.output(post.logvar, "logvar");
  } else {
    const q = titokQuantize(encode, transpose(encode, raw, [0, 2, 3, 1]), c);
    encode.output(q.indices, "tokens");
    encode.output(transpose(encode, q.quantized, [0, 3, 1, 2]), "latent");
  }
  return encode;
}

/** latent (B,C,1,K) → image (and the MaskGIT-code logits of legacy heads). */
export function titokDecodeGraph(c: TiTokConfig): Graph {
  const d = dims(c);
  const decode = new G("titok_decode");
  const z = decode.input("latent", "float32", [BATCH, d.c, 1, d.k]);
  const out = titokDecoder(decode, z, c);
  decode.output(out.image, "image");
  if (out.logits && out.logits !== out.image) decode.output(out.logits, "logits");
  return decode;
}

/** tokens (ids (B,1,K), or the VAE latent) → image. */
export function titokDecodeTokensGraph(c: TiTokConfig): Graph {
  const d = dims(c);
  const decodeTokens = new G("titok_decode_tokens");
  let z: Value;
  if (d.vae) z = decodeTokens.input("tokens", "float32", [BATCH, d.c, 1, d.k]);
  else {
    const tokens = decodeTokens.input("tokens", "int64", [BATCH, 1, d.k]);
    const codes = decodeTokens.scope(
      "quantize",
      () =>
        d.fsq
          ? fsqIndicesToCodes(decodeTokens, tokens, fsqOptions(c))
          : vqIndicesToCodes(decodeTokens, tokens, vqOptions(c)),
    );
    z = transpose(decodeTokens, codes, [0, 3, 1, 2]);
  }
  decodeTokens.output(titokDecoder(decodeTokens, z, c).image, "image");
  return decodeTokens;
}

/** TiTok's graphs by name, each built on demand. */
export function titokGraphs(c: TiTokConfig, opts: BuildOptions = {}): Record<string, () => Graph> {
  return {
    [TITOK_GRAPHS.encoder]: () => titokEncodeGraph(c, opts),
    [TITOK_GRAPHS.decoder]: () => titokDecodeGraph(c),
    [TITOK_GRAPHS.decodeTokens]: () => titokDecodeTokensGraph(c),
  };
}
