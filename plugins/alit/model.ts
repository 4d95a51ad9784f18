/**
 * ALIT's graphs (https://arxiv.org/abs/2411.02393), one per recurrent
 * iteration, so the host decides when to stop (tests/testdata/alit/PORTING.md
 * has the forward with upstream line references):
 *
 * - `iter_0`: image (+ VAE `noise`) → base tokens and `gt` (the VQGAN's code
 *   ids), the initial sequence [cls | N image tokens | T latents], then one
 *   iteration: encoder → `x` (the whole refined sequence, fed to the next
 *   iteration), the T latents' raw outputs `latent`, their ids `tokens`
 *   (B,1,T), the decoder's expected base code `code` (B,Z,G,G) and, for the
 *   VQGAN, `p` = the probability of each image token's true code (halting).
 * - `iter_i` (i ≥ 1): `x_prev` (the `x` of iteration i−1), the halting mask `drop` (B,N) and
 *   `gt` → the image tokens with drop = 1 replaced by mask tokens, T new
 *   latents appended (`encoder_ln_recursive`), then the same iteration.
 * - `decode_k`: ids (B,1,32k) → normalised codebook rows → decoder → `code`.
 * - `pixels`: `code` → image through the base tokenizer's decoder.
 *
 * Parameter names are upstream's state-dict keys.
 * @module
 */
import { Graph, type Value } from "../../core/graph/graph.ts";
import { conv2d } from "../../core/nn/conv.ts";
import { KL16_LATENT_SCALE, type Kl16Config, kl16Decode, kl16Latent } from "../../core/nn/kl16_vae.ts";
import { linear } from "../../core/nn/linear.ts";
import { TAMING_NAMING, type VqganConfig, vqganDecoder, vqganEncoder } from "../../core/nn/maskgit_vqgan.ts";
import { layerNorm } from "../../core/nn/norm.ts";
import { transformer } from "../../core/nn/vit_block.ts";
import {
  add,
  concat,
  expand,
  matmul,
  mul,
  oneHot,
  reduceSum,
  reshape,
  slice,
  softmax,
  sub,
  tanh,
  transpose,
  unsqueeze,
} from "../../core/ops/mod.ts";
import { l2normalize } from "../../core/quantizers/_l2.ts";
import {
  type QuantizeResult,
  vqCodebook,
  vqIndicesToCodes,
  type VqOptions,
  vqQuantize,
} from "../../core/quantizers/vq.ts";
import { type AlitConfig, alitDims } from "./config.ts";

const B = "batch";

/** The VQGAN size of a config. */
export function vqganConfig(c: AlitConfig): VqganConfig {
  return {
    channelMult: c.vqgan.ch_mult,
    hiddenChannels: c.vqgan.ch,
    numResBlocks: c.vqgan.num_res_blocks,
    zChannels: c.vqgan.z_channels,
  };
}

/** The KL VAE size of a config (`vae:`; MAR's KL-16 by default). */
export function kl16Config(c: AlitConfig): Kl16Config {
  const v = c.vae;
  return {
    ch: v.ch,
    chMult: v.ch_mult,
    numResBlocks: v.num_res_blocks,
    attnResolutions: v.attn_resolutions,
    resolution: v.resolution,
    zChannels: v.z_channels,
  };
}

/** The latent quantiser (`quantize.embedding.weight`, L2-normalised as upstream). */
function latentVq(c: AlitConfig): VqOptions {
  const a = c.alit;
  return {
    codebookSize: a.vq_codebook_size,
    dim: a.vq_token_dim,
    l2norm: a.vq_use_l2_norm,
    commitment: a.vq_commitment_cost,
  };
}

/** A learned (n, W) table over the batch of `like`. */
function batched(g: Graph, table: Value, like: Value): Value {
  const [n, w] = table.shape as number[];
  return expand(g, reshape(g, table, [1, n, w]), [like.shape[0], n, w], like);
}

/** Image (B,3,S,S) → base tokens h (B,Z,G,G) and, for the VQGAN, the true code ids gt (B,N). */
function baseTokens(g: Graph, image: Value, c: AlitConfig, noise?: Value): { h: Value; gt?: Value } {
  const d = alitDims(c);
  return g.scope("base_tokenizer", () => {
    if (d.vae) {
      return {
        h: g.scope(
          "vae",
          () => kl16Latent(g, image, { config: kl16Config(c), noise, scale: KL16_LATENT_SCALE }).latent,
        ),
      };
    }
    return g.scope("vqgan", () => {
      const h = g.scope("encoder", () => vqganEncoder(g, image, vqganConfig(c), TAMING_NAMING));
      const flat = transpose(g, reshape(g, h, [h.shape[0], d.z, d.n]), [0, 2, 1]);
      const q = g.scope(
        "quantize",
        () =>
          vqQuantize(g, flat, { codebookSize: c.vqgan.n_embed, dim: d.z, l2norm: false, commitment: 0.25 }),
      );
      return { h, gt: q.indices };
    });
  });
}

/** The T new latents of iteration i: latent_tokens + their positions + timestep_embedding[i] (T,W). */
function newLatents(g: Graph, c: AlitConfig, i: number): Value {
  const d = alitDims(c);
  const init = add(
    g,
    g.param("latent_tokens", [d.t, d.width]),
    g.param("latent_token_positional_embedding", [d.t, d.width]),
  );
  const steps = g.param("timestep_embedding", [d.iters, d.t, d.width]);
  return add(g, init, reshape(g, slice(g, steps, 0, i, i + 1), [d.t, d.width]));
}

/** The decoder's image-independent queries: [class; N mask tokens] + positions (N+1, W). */
function decoderQueries(g: Graph, c: AlitConfig): Value {
  const d = alitDims(c);
  const mask = reshape(g, g.param("decoder_mask_token", [1, 1, d.width]), [1, d.width]);
  const rows = concat(
    g,
    [g.param("decoder_class_embedding", [1, d.width]), expand(g, mask, [d.n, d.width])],
    0,
  );
  return add(g, rows, g.param("decoder_positional_embedding", [d.n + 1, d.width]));
}

/** Quantised latents (B,L,C) → decoder → per-image-token output (B,N,out): code logits or VAE latents. */
function decoder(g: Graph, q: Value, c: AlitConfig): Value {
  const d = alitDims(c);
  const L = q.shape[1] as number;
  const queries = batched(g, decoderQueries(g, c), q);
  return g.scope("decoder", () => {
    const y = add(
      g,
      g.scope("decoder_embed", () => linear(g, q, d.c, d.width)),
      slice(g, g.param("latent_token_positional_embedding", [256, d.width]), 0, 0, L),
    );
    let x = g.scope("ln_pre", () => layerNorm(g, concat(g, [queries, y], 1), d.width));
    x = transformer(g, x, d.width, c.alit.decoder_num_heads, c.alit.decoder_num_layers);
    x = g.scope("ln_post", () => layerNorm(g, slice(g, x, 1, 1, d.n + 1), d.width));
    return g.scope("ffn", () => {
      const h = g.scope(0, () => linear(g, x, d.width, 2 * d.width));
      return g.scope(2, () => linear(g, tanh(g, h), 2 * d.width, d.out));
    });
  });
}

/** The VQGAN's codebook (n_embed, Z), `base_tokenizer.vqgan.quantize.embedding.weight` (frozen). */
export function baseCodebook(g: Graph, c: AlitConfig): Value {
  const d = alitDims(c);
  return g.scope(
    "base_tokenizer",
    () =>
      g.scope(
        "vqgan",
        () =>
          g.scope("quantize", () =>
            vqCodebook(g, { codebookSize: c.vqgan.n_embed, dim: d.z, l2norm: false, commitment: 0.25 })),
      ),
  );
}

/** Base-code rows (B,N,Z) → the base code grid (B,Z,G,G). */
export function codeGrid(g: Graph, x: Value, c: AlitConfig): Value {
  const d = alitDims(c);
  return reshape(g, transpose(g, x, [0, 2, 1]), [x.shape[0], d.z, d.grid, d.grid]);
}

/** Decoder output (B,N,out) → the base code (B,Z,G,G) and the token probabilities (VQGAN). */
function toCode(g: Graph, out: Value, c: AlitConfig): { code: Value; prob?: Value } {
  const d = alitDims(c);
  if (d.vae) return { code: codeGrid(g, out, c) };
  const prob = softmax(g, out, -1);
  const codebook = baseCodebook(g, c);
  return { code: codeGrid(g, matmul(g, prob, codebook), c), prob };
}

/** What one iteration computes (shared by the inference graphs and the training loss). */
export interface AlitStep {
  /** The encoder's output sequence (B, N+1+L, W), before halting. */
  x: Value;
  /** The L latents' raw encoder outputs (B, L, W). */
  raw: Value;
  /** The latent quantiser's result (ids, codes, straight-through value, losses). */
  q: QuantizeResult;
  /** The decoder's output (B, N, out): code logits (VQGAN) or the VAE latent. */
  logits: Value;
  /** The decoder's expected base code (B, Z, G, G). */
  code: Value;
  /** The softmax of `logits` (VQGAN). */
  prob?: Value;
}

/**
 * One iteration on the sequence x (B, N+1+L, W): encoder, `encoder_ln_post`,
 * `pre_quantizer_mlp`, quantiser, decoder. The decoder reads the codebook rows
 * (inference) or, with `straightThrough`, upstream's `z + (e − z).detach()`
 * (training: the same value up to rounding, with the gradient to z). With
 * `entropy`, the quantiser also builds the entropy regulariser (`q.losses.entropy_aux`).
 */
export function alitStep(
  g: Graph,
  x: Value,
  c: AlitConfig,
  o: { straightThrough?: boolean; entropy?: boolean } = {},
): AlitStep {
  const d = alitDims(c);
  x = alitEncoderPass(g, x, c);
  const L = (x.shape[1] as number) - d.n - 1;
  const raw = slice(g, x, 1, d.n + 1, d.n + 1 + L);
  const normed = g.scope("encoder_ln_post", () => layerNorm(g, raw, d.width));
  const z = g.scope("pre_quantizer_mlp", () => linear(g, normed, d.width, d.c));
  // Training with `vq_entropy_loss_weight` also builds the entropy regulariser (q.losses.entropy_aux).
  const entropy = o.entropy ? { inverseTemperature: 100, gamma: 1 } : undefined;
  const q = g.scope("quantize", () => vqQuantize(g, z, { ...latentVq(c), entropy }));
  const logits = decoder(g, o.straightThrough ? q.quantized : q.codes, c);
  const { code, prob } = toCode(g, logits, c);
  return { x, raw, q, logits, code, prob };
}

/** The encoder alone on the sequence x (an iteration whose latents nothing decodes). */
export function alitEncoderPass(g: Graph, x: Value, c: AlitConfig): Value {
  const d = alitDims(c);
  return g.scope(
    "encoder",
    () => transformer(g, x, d.width, c.alit.encoder_num_heads, c.alit.encoder_num_layers),
  );
}

/** The probability of each image token's true base code (B,N): `prob[gt]` (what halting reads). */
export function gtProbability(g: Graph, prob: Value, gt: Value, c: AlitConfig): Value {
  return reduceSum(g, mul(g, prob, oneHot(g, gt, alitDims(c).out)), [-1], false);
}

/** One iteration on the sequence x (B, N+1+L, W): outputs x, latent, tokens, code, p. */
function iteration(g: Graph, x: Value, c: AlitConfig, gt?: Value): void {
  const s = alitStep(g, x, c);
  const L = s.raw.shape[1] as number;
  g.output(s.x, "x");
  g.output(s.raw, "latent");
  g.output(reshape(g, s.q.indices, [B, 1, L]), "tokens");
  g.output(s.code, "code");
  if (s.prob && gt) g.output(gtProbability(g, s.prob, gt, c), "p");
}

/**
 * Image → the sequence entering iteration 0, `encoder_ln_pre([cls | N image
 * tokens | T latents])` (B, N+1+T, W), the base tokens h (B,Z,G,G) (the VAE
 * variant's distillation target) and for the VQGAN the true code ids gt (B,N).
 */
export function alitInitialSequence(
  g: Graph,
  image: Value,
  c: AlitConfig,
  noise?: Value,
): { x: Value; gt?: Value; h: Value } {
  const d = alitDims(c);
  const { h, gt } = baseTokens(g, image, c, noise);
  const patches = g.scope(
    "patch_embed",
    () => conv2d(g, image, 3, d.width - d.z, d.patch, { stride: d.patch }),
  );
  const tok = l2normalize(
    g,
    transpose(g, reshape(g, concat(g, [h, patches], 1), [image.shape[0], d.width, d.n]), [0, 2, 1]),
  );
  const img = add(
    g,
    concat(g, [batched(g, g.param("encoder_class_embedding", [1, d.width]), image), tok], 1),
    g.param("encoder_positional_embedding", [d.n + 1, d.width]),
  );
  const seq = concat(g, [img, batched(g, newLatents(g, c, 0), image)], 1);
  return { x: g.scope("encoder_ln_pre", () => layerNorm(g, seq, d.width)), gt, h };
}

/** Iteration 0: image → base tokens, the initial sequence, one iteration (and `gt` for halting). */
export function alitFirstIteration(c: AlitConfig): Graph {
  const d = alitDims(c);
  const g = new Graph("alit_iter_0");
  const image = g.input("image", "float32", [B, 3, d.image, d.image]);
  const noise = d.vae ? g.input("noise", "float32", [B, d.z, d.grid, d.grid]) : undefined;
  const { x, gt } = alitInitialSequence(g, image, c, noise);
  if (gt) g.output(gt, "gt");
  iteration(g, x, c, gt);
  return g;
}

/**
 * The sequence entering iteration i ≥ 1 from the encoder output `prev` of
 * iteration i−1: image tokens with `drop` (B,N,1) = 1 replaced by mask tokens
 * (no halting without `drop`), T new latents appended, `encoder_ln_recursive`.
 */
export function alitNextSequence(g: Graph, prev: Value, c: AlitConfig, i: number, drop?: Value): Value {
  const d = alitDims(c);
  let x = prev;
  if (drop) {
    const positions = g.param("encoder_positional_embedding", [d.n + 1, d.width]);
    const mask = add(
      g,
      slice(g, positions, 0, 1, d.n + 1),
      reshape(g, g.param("encoder_mask_token", [1, 1, d.width]), [1, d.width]),
    );
    const img = slice(g, prev, 1, 1, d.n + 1);
    // img + drop·(mask − img): the mask token where drop = 1, the refined token where 0.
    const halted = add(g, img, mul(g, drop, sub(g, mask, img)));
    x = concat(g, [slice(g, prev, 1, 0, 1), halted, slice(g, prev, 1, d.n + 1, d.n + 1 + d.t * i)], 1);
  }
  const seq = concat(g, [x, batched(g, newLatents(g, c, i), prev)], 1);
  return g.scope("encoder_ln_recursive", () => layerNorm(g, seq, d.width));
}

/**
 * Iteration i ≥ 1: the previous sequence with the dropped image tokens replaced
 * by mask tokens (`drop` (B,N) of 0/1), T new latents, `encoder_ln_recursive`.
 */
export function alitNextIteration(c: AlitConfig, i: number): Graph {
  const d = alitDims(c);
  const g = new Graph(`alit_iter_${i}`);
  const prev = g.input("x_prev", "float32", [B, d.n + 1 + d.t * i, d.width]);
  const gt = d.vae ? undefined : g.input("gt", "int64", [B, d.n]);
  const drop = d.vae ? undefined : unsqueeze(g, g.input("drop", "float32", [B, d.n]), [2]);
  iteration(g, alitNextSequence(g, prev, c, i, drop), c, gt);
  return g;
}

/** ids (B,1,L) → normalised codebook rows → decoder → base code (B,Z,G,G). */
export function alitDecodeTokens(c: AlitConfig, length: number): Graph {
  const g = new Graph(`alit_decode_${length}`);
  const ids = g.input("tokens", "int64", [B, 1, length]);
  const rows = g.scope("quantize", () => vqIndicesToCodes(g, reshape(g, ids, [B, length]), latentVq(c)));
  g.output(toCode(g, decoder(g, rows, c), c).code, "code");
  return g;
}

/** Base code (B,Z,G,G) → image (B,3,S,S) through the base tokenizer's decoder, unclamped. */
export function basePixels(g: Graph, code: Value, c: AlitConfig): Value {
  const d = alitDims(c);
  return g.scope(
    "base_tokenizer",
    () =>
      d.vae ? g.scope("vae", () => kl16Decode(g, code, kl16Config(c))) : g.scope(
        "vqgan",
        () => g.scope("decoder", () => vqganDecoder(g, code, vqganConfig(c), TAMING_NAMING)),
      ),
  );
}

/** Base code (B,Z,G,G) → image (B,3,S,S), unclamped (VAE: decoded without unscaling, as ALIT). */
export function alitPixels(c: AlitConfig): Graph {
  const d = alitDims(c);
  const g = new Graph("alit_pixels");
  const code = g.input("code", "float32", [B, d.z, d.grid, d.grid]);
  g.output(basePixels(g, code, c), "image");
  return g;
}

/** ALIT's graphs by name, built on demand. */
export function alitGraphs(c: AlitConfig): Record<string, () => Graph> {
  const d = alitDims(c);
  const out: Record<string, () => Graph> = {
    iter_0: () => alitFirstIteration(c),
    pixels: () => alitPixels(c),
  };
  for (let i = 1; i < d.iters; i++) out[`iter_${i}`] = () => alitNextIteration(c, i);
  for (let k = 1; k <= d.iters; k++) out[`decode_${k * d.t}`] = () => alitDecodeTokens(c, k * d.t);
  return out;
}
