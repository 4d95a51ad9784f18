/**
 * TiTok's ViT tokenizer halves (https://arxiv.org/abs/2406.07550), shared by
 * the TiTok and MARVEL families: an encoder that reads [cls, patches, K
 * latent queries] and keeps the K latent outputs, and a decoder over [cls,
 * mask tokens, K latents] followed by either the legacy head (1024 MaskGIT-code
 * logits → softmax-weighted MaskGIT codebook → MaskGIT-VQGAN decoder) or the
 * direct pixel head (1×1 conv → depth-to-space → 3×3 conv).
 *
 * Parameter names are upstream's state-dict keys (`latent_tokens`,
 * `encoder.*`, `decoder.*`, `pixel_quantize.*`, `pixel_decoder.*`); quirks are
 * kept: the legacy row-major reshape of (B,K,W) into (B,W,K,1) before
 * `conv_out`. The batch dim is taken from the input value.
 *
 * @example
 * ```ts
 * const arch = { image: 256, patch: 16, ...TITOK_VIT_SIZES.large, numTokens: 32, tokenDim: 12, isLegacy: true };
 * const raw = vitTokenEncoder(g, image, { ...arch, outChannels: 12 }); // (B,12,1,32)
 * const { image: x } = vitTokenDecoder(g, raw, { ...arch, pixelDecoder: MASKGIT_VQGAN_F16 });
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, concat, depthToSpace, expand, reshape, tanh, transpose } from "../ops/mod.ts";
import { vqSoftCodes } from "../quantizers/vq.ts";
import { conv2d } from "./conv.ts";
import { linear } from "./linear.ts";
import { type VqganConfig, vqganDecoder } from "./maskgit_vqgan.ts";
import { layerNorm } from "./norm.ts";
import { transformer } from "./vit_block.ts";

/** A ViT size: width, depth, heads. */
export interface VitSize {
  width: number;
  layers: number;
  heads: number;
}

/**
 * Upstream's TiTokEncoder/TiTokDecoder size table (head dim 64), plus tok1d's
 * `tiny` (tests and the embedded default model) and `mini`.
 */
export const TITOK_VIT_SIZES: Readonly<Record<"tiny" | "mini" | "small" | "base" | "large", VitSize>> = {
  tiny: { width: 64, layers: 2, heads: 4 },
  mini: { width: 192, layers: 4, heads: 6 },
  small: { width: 512, layers: 8, heads: 8 },
  base: { width: 768, layers: 12, heads: 12 },
  large: { width: 1024, layers: 24, heads: 16 },
};

/** What both halves share. */
export interface VitTokenArch extends VitSize {
  /** Image side S (crop size). */
  image: number;
  /** Patch side; the grid is S/patch. */
  patch: number;
  /** Number of latent tokens K. */
  numTokens: number;
  /** Token (code) dim C. */
  tokenDim: number;
  /** Legacy (S/B/L-proxy-code) layout: the encoder's row-major reshape and the decoder's logit head. */
  isLegacy: boolean;
}

/** The encoder: {@link VitTokenArch} plus the channels of its `conv_out` (C, or 2C for a VAE). */
export interface VitTokenEncoderArch extends VitTokenArch {
  outChannels: number;
}

/**
 * The decoder. Legacy heads emit 1024 MaskGIT-code logits; with `pixelDecoder`
 * (upstream's `finetune_decoder`) these become the expected MaskGIT code and
 * the MaskGIT-VQGAN decoder draws pixels, without it the logits are the output.
 */
export interface VitTokenDecoderArch extends VitTokenArch {
  pixelDecoder?: VqganConfig;
}

/** Size of the MaskGIT-VQGAN codebook the legacy head predicts over. */
export const MASKGIT_CODES = 1024;

/** A learned (n, W) table broadcast over the batch of `like`. */
function batched(g: Graph, table: Value, like: Value): Value {
  const [n, w] = table.shape as number[];
  return expand(g, reshape(g, table, [1, n, w]), [like.shape[0], n, w], like);
}

/** Image (B,3,S,S) in [0,1] → raw encoder output (B, outChannels, 1, K). */
export function vitTokenEncoder(g: Graph, image: Value, a: VitTokenEncoderArch): Value {
  const { width: w, numTokens: k, patch: p } = a;
  const B = image.shape[0];
  const n = (a.image / p) ** 2;
  const latentTokens = g.param("latent_tokens", [k, w]);
  return g.scope("encoder", () => {
    let x = g.scope("patch_embed", () => conv2d(g, image, 3, w, p, { stride: p }));
    x = transpose(g, reshape(g, x, [B, w, n]), [0, 2, 1]);
    const cls = batched(g, g.param("class_embedding", [1, w]), image);
    x = add(g, concat(g, [cls, x], 1), g.param("positional_embedding", [n + 1, w]));
    const lat = add(g, latentTokens, g.param("latent_token_positional_embedding", [k, w]));
    x = concat(g, [x, batched(g, lat, image)], 1);
    x = g.scope("ln_pre", () => layerNorm(g, x, w));
    // Only the K latent positions are read after the last block.
    x = transformer(g, x, w, a.heads, a.layers, [n + 1, n + 1 + k]);
    x = g.scope("ln_post", () => layerNorm(g, x, w));
    // Legacy checkpoints reshape (B,K,W) to (B,W,K,1) without transposing: keep it.
    x = a.isLegacy ? reshape(g, x, [B, w, k, 1]) : transpose(g, reshape(g, x, [B, k, w, 1]), [0, 2, 1, 3]);
    x = g.scope("conv_out", () => conv2d(g, x, w, a.outChannels, 1));
    return reshape(g, x, [B, a.outChannels, 1, k]);
  });
}

/** Latent (B,C,1,K) → image (B,3,S,S), unclamped; legacy heads also return the code logits. */
export function vitTokenDecoder(
  g: Graph,
  z: Value,
  a: VitTokenDecoderArch,
): { image: Value; logits?: Value } {
  const { width: w, numTokens: k, tokenDim: c } = a;
  const grid = a.image / a.patch;
  const n = grid * grid;
  const B = z.shape[0];
  const hidden = g.scope("decoder", () => {
    let x = transpose(g, reshape(g, z, [B, c, k]), [0, 2, 1]);
    x = g.scope("decoder_embed", () => linear(g, x, c, w));
    const masks = expand(g, g.param("mask_token", [1, 1, w]), [B, n, w], z);
    const cls = batched(g, g.param("class_embedding", [1, w]), z);
    const seq = add(g, concat(g, [cls, masks], 1), g.param("positional_embedding", [n + 1, w]));
    x = add(g, x, g.param("latent_token_positional_embedding", [k, w]));
    x = concat(g, [seq, x], 1);
    x = g.scope("ln_pre", () => layerNorm(g, x, w));
    // Only the mask-token positions are read after the last block.
    x = transformer(g, x, w, a.heads, a.layers, [1, n + 1]);
    x = g.scope("ln_post", () => layerNorm(g, x, w));
    x = reshape(g, transpose(g, x, [0, 2, 1]), [B, w, grid, grid]);
    return g.scope("ffn", () => {
      if (a.isLegacy) {
        const h = tanh(g, g.scope(0, () => conv2d(g, x, w, 2 * w, 1)));
        return g.scope(2, () => conv2d(g, h, 2 * w, MASKGIT_CODES, 1));
      }
      return g.scope(0, () => conv2d(g, x, w, a.patch ** 2 * 3, 1));
    });
  });
  if (a.isLegacy) {
    if (!a.pixelDecoder) return { image: hidden, logits: hidden };
    const pd = a.pixelDecoder;
    // Stage 2: expected MaskGIT code under softmax(logits), then the conv decoder.
    const book = g.scope(
      "pixel_quantize",
      () => g.scope("embedding", () => g.param("weight", [MASKGIT_CODES, pd.zChannels])),
    );
    const codes = vqSoftCodes(g, hidden, book, 1);
    return { image: g.scope("pixel_decoder", () => vqganDecoder(g, codes, pd)), logits: hidden };
  }
  const pixels = depthToSpace(g, hidden, a.patch);
  return {
    image: g.scope("decoder", () => g.scope("conv_out", () => conv2d(g, pixels, 3, 3, 3, { padding: 1 }))),
  };
}
