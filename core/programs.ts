/**
 * Programs shared by families whose encoder and decoder each run once per
 * batch (TiTok, MARVEL, BDD-1D): `encode` runs the encoder graph, `decode`
 * the token decoder, `reconstruct` decodes the encoder's latent directly
 * (no second codebook lookup), `decodeLatent` the latent decoder. A family
 * passes its graph names and, where its tokens need it, how to turn a token
 * container into the decoder's feed (MARVEL pads a depth prefix with −1).
 *
 * @example
 * ```ts
 * const programs = singlePassPrograms({ encoder: "encoder", decoder: "decoder", decodeTokens: "decode_tokens" });
 * ```
 * @module
 */
import type { Programs, TokenizerInfo } from "./plugin.ts";
import type { Tensor } from "./tensor.ts";
import type { Tokens } from "./tokens.ts";

/** Graph names (and an optional token feed rule) of a single-pass family. */
export interface SinglePassGraphs {
  /** image (and `noise` when sampling) → `tokens`, `latent`. */
  encoder: string;
  /** `latent` → `image`. */
  decoder: string;
  /** `tokens` → `image`. */
  decodeTokens: string;
  /** The `tokens` feed of the token decoder (default: the ids or latent as stored). */
  tokenFeed?(tokens: Tokens, info: TokenizerInfo): Tensor;
}

/** encode / decode / reconstruct / decodeLatent over one encoder and two decoders. */
export function singlePassPrograms(g: SinglePassGraphs): Programs {
  const encode: Programs["encode"] = {
    graphs: [g.encoder],
    description: `${g.encoder}(image[, noise]) → tokens (ids or latent), latent`,
    async run(ctx, images, o) {
      const feeds: Record<string, Tensor> = { image: images };
      const noise = ctx.inputs(g.encoder).find((v) => v.name === "noise");
      if (noise) {
        feeds.noise = o.inputs?.noise ?? ctx.normal([images.shape[0], ...(noise.shape.slice(1) as number[])]);
      }
      const r = await ctx.run(g.encoder, feeds);
      return { tokens: r.tokens, latent: r.latent };
    },
  };
  return {
    encode,
    decode: {
      graphs: [g.decodeTokens],
      description: `${g.decodeTokens}(tokens) → image`,
      async run(ctx, tokens) {
        const feed = g.tokenFeed ? g.tokenFeed(tokens, ctx.info) : tokens.tokens;
        return (await ctx.run(g.decodeTokens, { tokens: feed })).image;
      },
    },
    reconstruct: {
      graphs: [g.encoder, g.decoder],
      description: `${g.encoder}(image) → tokens, latent; ${g.decoder}(latent) → image`,
      async run(ctx, images, o) {
        const tokens = await encode.run(ctx, images, o);
        return { tokens, images: (await ctx.run(g.decoder, { latent: tokens.latent! })).image };
      },
    },
    decodeLatent: {
      graphs: [g.decoder],
      description: `${g.decoder}(latent) → image`,
      async run(ctx, latent) {
        return (await ctx.run(g.decoder, { latent })).image;
      },
    },
  };
}
