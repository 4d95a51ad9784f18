/**
 * ElasticTok's config schema: the fields of upstream's `ElasticTokConfig`
 * (`elastic/model.py`; the run scripts pass them as `--update_elastic_config
 * "dict(...)"` over `--load_elastic_config 200m`) with upstream's defaults, plus
 * the data config's `resolution`. Unknown keys (remat, scan and sharding
 * settings, `mask_mode`…) pass through untouched; they do not change the maths.
 *
 * tok1d extensions: `video_frames` — when set (a multiple of `frames_per_block`),
 * the tokenizer's input is a video of that many frames (B,F,3,H,W); when absent
 * it is an image, encoded as upstream does as one block of the frame repeated.
 * `max_blocks_per_chunk` (upstream's inference flag, default 4 or what
 * max_sequence_length holds): blocks per
 * cached pass; `decode` chunks by it, `encode` by it unless
 * `--max-blocks-per-chunk` says otherwise (tokens so encoded then decode with
 * a config that sets the same value).
 *
 * @example
 * ```ts
 * const c = elasticSchema.parse({ bottleneck_type: "fsq", max_toks: 4096, patch_size: [1, 8, 8] });
 * elasticDims(c).tokens; // 4096 tokens per block of 4 frames of 256×256
 * ```
 * @module
 */
import { z } from "zod";

/** Sizes of upstream's named configs (`CONFIGS` in elastic/model.py). */
export const ELASTIC_SIZES = {
  "200m": {
    hidden_size: 1024,
    intermediate_size: 2048,
    num_encoder_layers: 10,
    num_decoder_layers: 10,
    num_attention_heads: 8,
    rms_norm_eps: 1e-5,
  },
  debug: {
    hidden_size: 256,
    intermediate_size: 256,
    num_encoder_layers: 2,
    num_decoder_layers: 2,
    num_attention_heads: 2,
    rms_norm_eps: 1e-6,
  },
} as const;

const pos = () => z.number().int().positive();

/** The ElasticTok config schema with upstream's class defaults. */
export const elasticSchema = z.looseObject({
  mask_type: z.string().default("elastic"),
  min_toks: pos().default(256),
  max_toks: pos().default(2048),
  frames_per_block: pos().default(1),
  patch_size: z.tuple([pos(), pos(), pos()]).default([1, 8, 8]),
  bottleneck_type: z.enum(["fsq", "vae"]).default("fsq"),
  fsq_quant_levels: z.array(z.number().int().min(2)).min(1).default([8, 8, 8, 5, 5, 5]),
  vae_bottleneck_dim: pos().default(8),
  hidden_size: pos().default(4096),
  intermediate_size: pos().default(11008),
  num_encoder_layers: pos().default(16),
  num_decoder_layers: pos().default(16),
  num_attention_heads: pos().default(32),
  max_sequence_length: pos().default(4096),
  theta: z.number().positive().default(10000),
  rms_norm_eps: z.number().positive().default(1e-5),
  /** The data config's frame side (shorter side resized, centre crop). */
  resolution: pos().default(256),
  /** tok1d: frames per input video; absent = image input (one block of the frame repeated). */
  video_frames: pos().optional(),
  /** tok1d: blocks per cached pass (upstream's `--max_blocks_per_chunk`); at most max_sequence_length / max_toks. */
  max_blocks_per_chunk: pos().optional(),
}).superRefine((c, ctx) => {
  const [tp, hp, wp] = c.patch_size;
  const bad = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if (c.frames_per_block % tp) {
    bad("patch_size", `patch time ${tp} does not divide frames_per_block ${c.frames_per_block}`);
  }
  if (c.resolution % hp || c.resolution % wp) {
    bad("patch_size", `patch [${c.patch_size}] does not divide resolution ${c.resolution}`);
  }
  const tokens = (c.frames_per_block / tp) * (c.resolution / hp) * (c.resolution / wp);
  if (c.max_toks !== tokens) {
    bad(
      "max_toks",
      `a block of ${c.frames_per_block} frames of ${c.resolution}² in patches [${c.patch_size}] has ${tokens} tokens, not ${c.max_toks}`,
    );
  }
  if (c.min_toks > c.max_toks) bad("min_toks", `min_toks ${c.min_toks} exceeds max_toks ${c.max_toks}`);
  if (c.max_sequence_length % c.max_toks) {
    bad("max_sequence_length", `${c.max_sequence_length} is not whole blocks of ${c.max_toks}`);
  }
  if (c.hidden_size % c.num_attention_heads || (c.hidden_size / c.num_attention_heads) % 2) {
    bad(
      "num_attention_heads",
      `hidden_size ${c.hidden_size} / ${c.num_attention_heads} heads is not an even head dim`,
    );
  }
  if (c.max_blocks_per_chunk !== undefined && c.max_blocks_per_chunk * c.max_toks > c.max_sequence_length) {
    bad(
      "max_blocks_per_chunk",
      `${c.max_blocks_per_chunk} blocks of ${c.max_toks} exceed max_sequence_length ${c.max_sequence_length}`,
    );
  }
  if (c.video_frames !== undefined && c.video_frames % c.frames_per_block) {
    bad("video_frames", `${c.video_frames} frames are not whole blocks of ${c.frames_per_block}`);
  }
});

/** A parsed ElasticTok config. */
export type ElasticConfig = z.infer<typeof elasticSchema>;

/** Derived sizes. */
export interface ElasticDims {
  fsq: boolean;
  /** Tokens per block (= max_toks). */
  tokens: number;
  /** Values per patch token, tp·hp·wp·3. */
  patchDim: number;
  /** Code channels the decoder reads (FSQ levels, VAE dim). */
  code: number;
  /** pre_quant output channels (FSQ: levels; VAE: mean ‖ logvar). */
  proj: number;
  frames: number;
  size: number;
  headDim: number;
  /** Blocks per input item (1 for images). */
  blocks: number;
  /** Most blocks one cached pass can hold (max_sequence_length / max_toks). */
  maxBlocks: number;
  /** Blocks per cached pass by default (`max_blocks_per_chunk`). */
  chunk: number;
}

/** Sizes derived from a config. */
export function elasticDims(c: ElasticConfig): ElasticDims {
  const fsq = c.bottleneck_type === "fsq";
  const [tp, hp, wp] = c.patch_size;
  const code = fsq ? c.fsq_quant_levels.length : c.vae_bottleneck_dim;
  return {
    fsq,
    tokens: c.max_toks,
    patchDim: tp * hp * wp * 3,
    code,
    proj: fsq ? code : 2 * code,
    frames: c.frames_per_block,
    size: c.resolution,
    headDim: c.hidden_size / c.num_attention_heads,
    blocks: c.video_frames ? c.video_frames / c.frames_per_block : 1,
    maxBlocks: c.max_sequence_length / c.max_toks,
    chunk: c.max_blocks_per_chunk ?? Math.min(4, c.max_sequence_length / c.max_toks),
  };
}
