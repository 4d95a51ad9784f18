/**
 * TiTok's graphs (https://arxiv.org/abs/2406.07550): a ViT encoder that reads
 * [cls, patches, K latent queries] and keeps the K latent outputs, a VQ or
 * Gaussian bottleneck, and a ViT decoder over [cls, mask tokens, K latents]
 * followed by either the legacy head (1024 MaskGIT-code logits → softmax-
 * weighted MaskGIT codebook → MaskGIT-VQGAN decoder) or the direct pixel head.
 *
 * Parameter names are upstream's state-dict keys; quirks are reproduced: the
 * legacy row-major reshape of (B,K,W) into (B,W,K,1) before `conv_out`.
 * @module
 */
import type { Graph, Value } from "../../core/graph/graph.ts";
import { Graph as G } from "../../core/graph/graph.ts";
import { conv2d, layerNorm, linear, transformer, vqganDecoder } from "../../core/nn/mod.ts";
import {
  add,
  concat,
  depthToSpace,
  expand,
  matmul,
  reshape,
  slice,
  softmax,
  tanh,
  transpose,
} from "../../core/ops/mod.ts";
import {
  gaussianPosterior,
  gaussianSample,
  vqIndicesToCodes,
  type VqOptions,
  vqQuantize,
} from "../../core/quantizers/mod.ts";
import type { BuildOptions, InferenceGraphs } from "../../core/plugin.ts";
import { type TiTokConfig, VIT_SIZES } from "./config.ts";

/** The symbolic batch dim of inference graphs (training graphs use a fixed batch). */
const BATCH = "batch";

/** Derived sizes of a config. */
export function dims(c: TiTokConfig) {
  const m = c.model.vq_model;
  const image = c.dataset.preprocessing.crop_size;
  const enc = VIT_SIZES[m.vit_enc_model_size];
  const dec = VIT_SIZES[m.vit_dec_model_size];
  const pd = m.pixel_decoder ??
    { channel_mult: [1, 1, 2, 2, 4], hidden_channels: 128, num_res_blocks: 2, z_channels: 256 };
  return {
    image,
    enc,
    dec,
    k: m.num_latent_tokens,
    c: m.token_size,
    encGrid: image / m.vit_enc_patch_size,
    decGrid: image / m.vit_dec_patch_size,
    vae: m.quantize_mode === "vae",
    twoStage: m.is_legacy && m.finetune_decoder,
    pixel: {
      channelMult: pd.channel_mult,
      hiddenChannels: pd.hidden_channels,
      numResBlocks: pd.num_res_blocks,
      zChannels: pd.z_channels,
    },
  };
}

/** A learned (n, W) table broadcast over the batch of `like`. */
function batched(g: Graph, table: Value, like: Value): Value {
  const [n, w] = table.shape as number[];
  return expand(g, reshape(g, table, [1, n, w]), [like.shape[0], n, w], like);
}

/** Image (B,3,S,S) in [0,1] → raw encoder output (B, C or 2C, 1, K). */
export function titokEncoder(g: Graph, image: Value, c: TiTokConfig): Value {
  const d = dims(c);
  const m = c.model.vq_model;
  const { width: w, layers, heads } = d.enc;
  const B = image.shape[0];
  const latentTokens = g.param("latent_tokens", [d.k, w]);
  return g.scope("encoder", () => {
    const p = m.vit_enc_patch_size;
    const n = d.encGrid * d.encGrid;
    let x = g.scope("patch_embed", () => conv2d(g, image, 3, w, p, { stride: p }));
    x = transpose(g, reshape(g, x, [B, w, n]), [0, 2, 1]);
    const cls = batched(g, g.param("class_embedding", [1, w]), image);
    x = add(g, concat(g, [cls, x], 1), g.param("positional_embedding", [n + 1, w]));
    const lat = add(g, latentTokens, g.param("latent_token_positional_embedding", [d.k, w]));
    x = concat(g, [x, batched(g, lat, image)], 1);
    x = g.scope("ln_pre", () => layerNorm(g, x, w));
    x = transformer(g, x, w, heads, layers);
    x = slice(g, x, 1, n + 1, n + 1 + d.k);
    x = g.scope("ln_post", () => layerNorm(g, x, w));
    // Legacy checkpoints reshape (B,K,W) to (B,W,K,1) without transposing: keep it.
    x = m.is_legacy
      ? reshape(g, x, [B, w, d.k, 1])
      : transpose(g, reshape(g, x, [B, d.k, w, 1]), [0, 2, 1, 3]);
    const outC = d.vae ? 2 * d.c : d.c;
    x = g.scope("conv_out", () => conv2d(g, x, w, outC, 1));
    return reshape(g, x, [B, outC, 1, d.k]);
  });
}

/** Latent (B,C,1,K) → image (B,3,S,S), unclamped; legacy models also return the code logits. */
export function titokDecoder(g: Graph, z: Value, c: TiTokConfig): { image: Value; logits?: Value } {
  const d = dims(c);
  const m = c.model.vq_model;
  const { width: w, layers, heads } = d.dec;
  const n = d.decGrid * d.decGrid;
  const B = z.shape[0];
  const hidden = g.scope("decoder", () => {
    let x = transpose(g, reshape(g, z, [B, d.c, d.k]), [0, 2, 1]);
    x = g.scope("decoder_embed", () => linear(g, x, d.c, w));
    const maskToken = g.param("mask_token", [1, 1, w]);
    const masks = expand(g, maskToken, [B, n, w], z);
    const cls = batched(g, g.param("class_embedding", [1, w]), z);
    const grid = add(g, concat(g, [cls, masks], 1), g.param("positional_embedding", [n + 1, w]));
    x = add(g, x, g.param("latent_token_positional_embedding", [d.k, w]));
    x = concat(g, [grid, x], 1);
    x = g.scope("ln_pre", () => layerNorm(g, x, w));
    x = transformer(g, x, w, heads, layers);
    x = slice(g, x, 1, 1, n + 1);
    x = g.scope("ln_post", () => layerNorm(g, x, w));
    x = reshape(g, transpose(g, x, [0, 2, 1]), [B, w, d.decGrid, d.decGrid]);
    return g.scope("ffn", () => {
      if (m.is_legacy) {
        const h = tanh(g, g.scope(0, () => conv2d(g, x, w, 2 * w, 1)));
        return g.scope(2, () => conv2d(g, h, 2 * w, 1024, 1));
      }
      return g.scope(0, () => conv2d(g, x, w, m.vit_dec_patch_size ** 2 * 3, 1));
    });
  });
  if (m.is_legacy) {
    if (!m.finetune_decoder) return { image: hidden, logits: hidden };
    // Stage 2: expected MaskGIT code under softmax(logits), then the conv decoder.
    const probs = transpose(g, softmax(g, hidden, 1), [0, 2, 3, 1]);
    const book = g.scope(
      "pixel_quantize",
      () => g.scope("embedding", () => g.param("weight", [1024, d.pixel.zChannels])),
    );
    const codes = transpose(g, matmul(g, probs, book), [0, 3, 1, 2]);
    const image = g.scope("pixel_decoder", () => vqganDecoder(g, codes, d.pixel));
    return { image, logits: hidden };
  }
  const pixels = depthToSpace(g, hidden, m.vit_dec_patch_size);
  return {
    image: g.scope("decoder", () => g.scope("conv_out", () => conv2d(g, pixels, 3, 3, 3, { padding: 1 }))),
  };
}

function vqOptions(c: TiTokConfig): VqOptions {
  const m = c.model.vq_model;
  return {
    codebookSize: m.codebook_size,
    dim: m.token_size,
    l2norm: m.use_l2_norm,
    commitment: m.commitment_cost,
  };
}

/** The encode / decode / decodeTokens graphs of a TiTok config. */
export function buildTiTok(c: TiTokConfig, opts: BuildOptions = {}): InferenceGraphs {
  const d = dims(c);
  const B = BATCH;
  const encode = new G("titok_encode");
  {
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
      const q = encode.scope(
        "quantize",
        () => vqQuantize(encode, transpose(encode, raw, [0, 2, 3, 1]), vqOptions(c)),
      );
      encode.output(q.indices, "tokens");
      encode.output(transpose(encode, q.quantized, [0, 3, 1, 2]), "latent");
    }
  }
  const decode = new G("titok_decode");
  {
    const z = decode.input("latent", "float32", [B, d.c, 1, d.k]);
    const out = titokDecoder(decode, z, c);
    decode.output(out.image, "image");
    if (out.logits && out.logits !== out.image) decode.output(out.logits, "logits");
  }
  const decodeTokens = new G("titok_decode_tokens");
  {
    let z: Value;
    if (d.vae) z = decodeTokens.input("tokens", "float32", [B, d.c, 1, d.k]);
    else {
      const tokens = decodeTokens.input("tokens", "int64", [B, 1, d.k]);
      const codes = decodeTokens.scope(
        "quantize",
        () => vqIndicesToCodes(decodeTokens, tokens, vqOptions(c)),
      );
      z = transpose(decodeTokens, codes, [0, 3, 1, 2]);
    }
    decodeTokens.output(titokDecoder(decodeTokens, z, c).image, "image");
  }
  return { encode, decode, decodeTokens };
}
