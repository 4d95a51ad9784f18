/**
 * BDD-1D's graphs (sejal-0502/1d-tokenizer, `VQModel2WithEntropyDINOLossMAEinit`):
 *
 * - encoder: image in [0,1] → ×2−1 → timm ViT over [cls, N patches, K
 *   `prompt_tokens`] (core/nn/timm_vit.ts) → the K prompt rows → Linear `ln`
 *   W→C (or, with `pretrained: false`, the un-initialised EncoderVIT of
 *   scratch_encoder.ts) → L2-normalised over C (`normalize_embedding`) → nearest row of the
 *   codebook → ids (B,1,K) in upstream's order (it returns them flat, B·K) and
 *   the code vectors (B,C,1,K);
 * - decoder: (B,C,1,K) → `decoder_embed` C→W + latent positions, appended to
 *   [cls, G² mask tokens] + positions, G = the decoder's `patch_size` (upstream's
 *   quirk) → the taming decoder (core/nn/taming_decoder.ts) whose conv_in and
 *   mid stage run over that sequence as an (L × 1) image, positions 1..G²
 *   reshaped to G×G, then the up path → [−1,1] → (x+1)/2. Not clamped.
 *
 * The codebook is used as stored: {@link normaliseCodebook} L2-normalises its
 * rows once at load (upstream re-normalises in place at every forward), so
 * ids decode to unit rows here even on a checkpoint whose rows drifted.
 * Parameter names are upstream's state-dict keys.
 * @module
 */
import type { Graph, Value } from "../../core/graph/graph.ts";
import { Graph as G } from "../../core/graph/graph.ts";
import { add, concat, expand, f32, mul, reshape, slice, transpose } from "../../core/ops/mod.ts";
import { linear } from "../../core/nn/linear.ts";
import { timmVitFeatures } from "../../core/nn/timm_vit.ts";
import { scratchEncoder } from "./scratch_encoder.ts";
import { tamingDecoder, type TamingDecoderConfig } from "../../core/nn/taming_decoder.ts";
import { vqIndicesToCodes, type VqOptions, vqQuantize } from "../../core/quantizers/mod.ts";
import { l2normalize } from "../../core/quantizers/_l2.ts";
import type { Tensor } from "../../core/tensor.ts";
import type { BddConfig } from "./config.ts";

/** The symbolic batch dim. */
const BATCH = "batch";

/** Derived sizes of a config. */
export function dims(c: BddConfig) {
  const p = c.model.params;
  const e = p.encoder_config.params, d = p.decoder_config.params, q = p.quantizer_config.params;
  return {
    image: e.image_size,
    k: e.num_latent_tokens,
    c: q.e_dim,
    codebook: q.n_e,
    vit: {
      image: e.image_size,
      patch: e.patch_size,
      width: e.model_width,
      depth: e.depth,
      heads: e.heads,
      mlpDim: e.mlp_dim,
      extraTokens: e.num_latent_tokens,
    },
    scratch: e.pretrained ? undefined : {
      image: e.image_size,
      patch: e.patch_size,
      width: e.model_width,
      depth: e.depth,
      heads: e.heads,
      dimHead: e.dim_head,
      mlpDim: e.mlp_dim,
      numTokens: e.num_latent_tokens,
      tokenDim: e.token_size,
    },
    n: (e.image_size / e.patch_size) ** 2,
    encoderNormalise: e.normalize_embedding,
    codebookNormalise: q.normalize_embedding,
    beta: q.beta,
    decWidth: d.model_width,
    grid: d.patch_size,
    taming: {
      inChannels: d.model_width,
      ch: d.ch,
      chMult: d.ch_mult,
      numResBlocks: d.num_res_blocks,
      attnResolutions: d.attn_resolutions,
      resolution: d.resolution,
      outChannels: d.out_ch,
    } satisfies TamingDecoderConfig,
  };
}

/** The VQ layer's options: taming's convention (β on the codebook term); the codebook is normalised at load. */
export function vqOptions(c: BddConfig): VqOptions {
  const d = dims(c);
  return { codebookSize: d.codebook, dim: d.c, l2norm: false, commitment: d.beta, beta: "codebook" };
}

/** Image (B,3,S,S) in [0,1] → the encoder's latent before quantisation, (B,1,K,C). */
export function bddEncoder(g: Graph, image: Value, c: BddConfig): Value {
  const d = dims(c);
  const B = image.shape[0];
  const x = add(g, mul(g, image, g.constant(f32([], [2]), "two")), g.constant(f32([], [-1]), "minus_one"));
  let h: Value;
  if (d.scratch) {
    const arch = d.scratch;
    h = transpose(g, g.scope("encoder", () => scratchEncoder(g, x, arch)), [0, 2, 3, 1]); // (B,1,K,C)
  } else {
    const seq = g.scope("encoder", () => timmVitFeatures(g, x, d.vit));
    const prompts = slice(g, seq, 1, 1 + d.n, 1 + d.n + d.k);
    h = g.scope("ln", () => linear(g, prompts, d.vit.width, d.c));
  }
  if (d.encoderNormalise) h = l2normalize(g, h);
  return reshape(g, h, [B, 1, d.k, d.c]);
}

/** Code vectors (B,C,1,K) → image (B,3,S,S) in upstream's [−1,1] scale, unclamped. */
export function bddDecoder(g: Graph, z: Value, c: BddConfig): Value {
  const d = dims(c);
  const B = z.shape[0];
  const w = d.decWidth, n = d.grid * d.grid;
  return g.scope("decoder", () => {
    let x = transpose(g, reshape(g, z, [B, d.c, d.k]), [0, 2, 1]);
    x = g.scope("decoder_embed", () => linear(g, x, d.c, w));
    x = add(g, x, g.param("latent_token_positional_embedding", [d.k, w]));
    const masks = expand(g, g.param("mask_token", [1, 1, w]), [B, n, w], z);
    const cls = expand(g, reshape(g, g.param("class_embedding", [1, w]), [1, 1, w]), [B, 1, w], z);
    const seq = add(g, concat(g, [cls, masks], 1), g.param("positional_embedding", [n + 1, w]));
    const len = 1 + n + d.k;
    const asImage = reshape(g, transpose(g, concat(g, [seq, x], 1), [0, 2, 1]), [B, w, len, 1]);
    return tamingDecoder(g, asImage, d.taming, (h) => {
      const ch = h.shape[1] as number;
      const grid = slice(g, reshape(g, h, [B, ch, len]), 2, 1, 1 + n);
      return reshape(g, grid, [B, ch, d.grid, d.grid]);
    });
  });
}

/** [−1,1] → [0,1]: (x+1)/2. */
function toUnit(g: Graph, x: Value): Value {
  return add(g, mul(g, x, g.constant(f32([], [0.5]), "half")), g.constant(f32([], [0.5]), "half_shift"));
}

/** The graph names BDD-1D's programs run (core/programs.ts). */
export const BDD_GRAPHS = { encoder: "encoder", decoder: "decoder", decodeTokens: "decode_tokens" } as const;

/** image → tokens (B,1,K) int64, latent (B,C,1,K). */
export function bddEncodeGraph(c: BddConfig): Graph {
  const d = dims(c);
  const g = new G("bdd_1d_encode");
  const image = g.input("image", "float32", [BATCH, 3, d.image, d.image]);
  const h = bddEncoder(g, image, c);
  const q = g.scope("quantize", () => vqQuantize(g, h, vqOptions(c)));
  g.output(q.indices, "tokens"); // (B,1,K): upstream flattens the same order to B·K
  g.output(transpose(g, q.quantized, [0, 3, 1, 2]), "latent");
  return g;
}

/** latent (B,C,1,K) → image in [0,1] (unclamped). */
export function bddDecodeGraph(c: BddConfig): Graph {
  const d = dims(c);
  const g = new G("bdd_1d_decode");
  const z = g.input("latent", "float32", [BATCH, d.c, 1, d.k]);
  g.output(toUnit(g, bddDecoder(g, z, c)), "image");
  return g;
}

/** ids (B,1,K) → codebook rows → image in [0,1] (unclamped). */
export function bddDecodeTokensGraph(c: BddConfig): Graph {
  const d = dims(c);
  const g = new G("bdd_1d_decode_tokens");
  const tokens = g.input("tokens", "int64", [BATCH, 1, d.k]);
  const codes = g.scope("quantize", () => vqIndicesToCodes(g, tokens, vqOptions(c))); // (B,1,K,C)
  g.output(toUnit(g, bddDecoder(g, transpose(g, codes, [0, 3, 1, 2]), c)), "image");
  return g;
}

/** BDD-1D's graphs by name, each built on demand. */
export function bddGraphs(c: BddConfig): Record<string, () => Graph> {
  return {
    [BDD_GRAPHS.encoder]: () => bddEncodeGraph(c),
    [BDD_GRAPHS.decoder]: () => bddDecodeGraph(c),
    [BDD_GRAPHS.decodeTokens]: () => bddDecodeTokensGraph(c),
  };
}

/** The codebook with every row L2-normalised (F.normalize(dim=1), in float32 as torch). */
export function normaliseCodebook(t: Tensor): Tensor<"float32"> {
  const [n, dim] = t.shape;
  const src = Float32Array.from(t.data as Float32Array);
  const out = new Float32Array(src.length);
  for (let r = 0; r < n; r++) {
    const row = src.subarray(r * dim, (r + 1) * dim);
    let s = 0;
    for (const v of row) s = Math.fround(s + Math.fround(v * v));
    const norm = Math.max(Math.fround(Math.sqrt(s)), 1e-12);
    for (let j = 0; j < dim; j++) out[r * dim + j] = Math.fround(row[j] / norm);
  }
  return { dtype: "float32", shape: [n, dim], data: out };
}
