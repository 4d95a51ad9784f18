/**
 * ALIT's config (ShivamDuggal4/adaptive-length-tokenizer). Upstream has no
 * single config file: a model is `alit_<size>(base_tokenizer_args)` plus
 * `adaptive_tokenizers/configs/adaptive_<base>.yaml`, i.e. the keyword
 * arguments of `AdaptiveLengthImageTokenizer`. tok1d's config is exactly those
 * arguments under `alit:` (the yaml's keys unchanged, the preset's widths
 * spelled out), with the base tokenizer's size under `vqgan:` (taming's
 * `ddconfig` keys; default: MAGE's released f16 VQGAN) or `vae:` (the KL VAE's
 * `Encoder` arguments; default: MAR's KL-16) — so the argument dict
 * upstream builds, and the reference data's `alit_config`, parse as they are.
 *
 * @example
 * ```ts
 * const c = alitSchema.parse({ alit: { base_tokenizer: "vqgan", encoder_width: 512, encoder_num_layers: 8,
 *   encoder_num_heads: 8, decoder_width: 512, decoder_num_layers: 8, decoder_num_heads: 8 } });
 * c.alit.max_rollout_iters; // 8
 * ```
 * @module
 */
import { z } from "zod";

const positive = z.number().int().positive();

/** `AdaptiveLengthImageTokenizer`'s arguments, with the defaults of adaptive_vqgan.yaml. */
const alitArgs = z.looseObject({
  base_tokenizer: z.enum(["vqgan", "vae"]).default("vqgan"),
  encoder_width: positive,
  encoder_num_layers: positive,
  encoder_num_heads: positive,
  decoder_width: positive,
  decoder_num_layers: positive,
  decoder_num_heads: positive,
  quantize_latent: z.literal(true, {
    message: "only quantised (token id) checkpoints are supported; quantize_latent: false is not yet",
  }).default(true),
  factorize_latent: z.boolean().default(true),
  vq_codebook_size: positive.default(4096),
  vq_token_dim: positive.default(12),
  vq_commitment_cost: z.number().nonnegative().default(0.25),
  vq_use_l2_norm: z.boolean().default(true),
  dynamic_halting: z.boolean().default(true),
  dynamic_halting_threshold: z.number().min(0).max(1).default(0.55),
  img_size: positive.default(256),
  patch_size: positive.default(16),
  num_init_latent_tokens: positive.default(32),
  max_rollout_iters: positive.max(64).default(8),
  /**
   * tok1d's key (upstream has none): weight of taming's entropy regulariser on the latent VQ in
   * training (core/quantizers/vq_entropy.ts, τ⁻¹ 100, γ 1) — per-token confidence minus the
   * spread over the batch's codes. 0 (upstream) leaves it out; the CPU recipe uses it so a small
   * run from scratch does not collapse onto a handful of codes.
   */
  vq_entropy_loss_weight: z.number().nonnegative().optional(),
});

/** The MAGE VQGAN's size in taming's `ddconfig` keys (default: the released f16 one). */
const vqganArgs = z.looseObject({
  ch: positive.default(128),
  ch_mult: z.array(positive).min(1).max(8).default([1, 1, 2, 2, 4]),
  num_res_blocks: positive.default(2),
  z_channels: positive.default(256),
  n_embed: positive.default(1024),
});

/**
 * The KL VAE's size in the keyword arguments of upstream's `Encoder`/`Decoder`
 * (`base_tokenizers/vae_ldm.py`; default: MAR's KL-16, which `LDMVAEWrapper` builds).
 * `resolution` is the nominal input size that places the attention levels.
 */
const vaeArgs = z.looseObject({
  ch: positive.default(128),
  ch_mult: z.array(positive).min(1).max(8).default([1, 1, 2, 2, 4]),
  num_res_blocks: positive.default(2),
  attn_resolutions: z.array(positive).default([16]),
  resolution: positive.default(256),
  z_channels: positive.default(16),
});

/** MAR's KL-16 (the default `vae:` section). */
const KL16_ARGS = {
  ch: 128,
  ch_mult: [1, 1, 2, 2, 4],
  num_res_blocks: 2,
  attn_resolutions: [16],
  resolution: 256,
  z_channels: 16,
};

/** The ALIT config schema. */
export const alitSchema = z.looseObject({
  alit: alitArgs,
  vqgan: vqganArgs.default({
    ch: 128,
    ch_mult: [1, 1, 2, 2, 4],
    num_res_blocks: 2,
    z_channels: 256,
    n_embed: 1024,
  }),
  vae: vaeArgs.default(KL16_ARGS),
  /**
   * tok1d's key (upstream has none): the stage `tok1d train` runs without `--stage`. A recipe that
   * trains its base tokenizer from scratch (configs/alit/small_recipe.yaml) starts in stage2: stage 1
   * distils a frozen base, which a random one makes meaningless.
   */
  default_stage: z.enum(["stage1", "stage2"]).optional(),
}).superRefine((c, ctx) => {
  const a = c.alit;
  const at = (k: string) => ["alit", k];
  if (a.img_size % a.patch_size) {
    ctx.addIssue({
      code: "custom",
      path: at("patch_size"),
      message: `${a.patch_size} does not divide img_size ${a.img_size}`,
    });
  }
  for (const side of ["encoder", "decoder"] as const) {
    if (a[`${side}_width`] % a[`${side}_num_heads`]) {
      ctx.addIssue({
        code: "custom",
        path: at(`${side}_num_heads`),
        message: `${a[`${side}_num_heads`]} heads do not divide ${side}_width ${a[`${side}_width`]}`,
      });
    }
  }
  if (a.encoder_width !== a.decoder_width) {
    ctx.addIssue({
      code: "custom",
      path: at("decoder_width"),
      message: "upstream's ALIT needs decoder_width = encoder_width",
    });
  }
  const grid = a.img_size / a.patch_size;
  if (a.base_tokenizer === "vqgan" && a.img_size / 2 ** (c.vqgan.ch_mult.length - 1) !== grid) {
    ctx.addIssue({
      code: "custom",
      path: ["vqgan", "ch_mult"],
      message:
        `the VQGAN's ${c.vqgan.ch_mult.length} levels give a ${
          a.img_size / 2 ** (c.vqgan.ch_mult.length - 1)
        }² grid, ` +
        `the patch grid is ${grid}²`,
    });
  }
  const vaeGrid = a.img_size / 2 ** (c.vae.ch_mult.length - 1);
  if (a.base_tokenizer === "vae" && vaeGrid !== grid) {
    ctx.addIssue({
      code: "custom",
      path: ["vae", "ch_mult"],
      message: `the VAE's ${c.vae.ch_mult.length} levels give a ${vaeGrid}² grid, the patch grid is ${grid}²`,
    });
  }
  for (const [i, ch] of c.vae.ch_mult.entries()) {
    if (a.base_tokenizer === "vae" && (c.vae.ch * ch) % 32) {
      ctx.addIssue({
        code: "custom",
        path: ["vae", "ch_mult", i],
        message: `the VAE's GroupNorm(32) needs widths divisible by 32, level ${i} has ${c.vae.ch * ch}`,
      });
    }
  }
  if (a.num_init_latent_tokens * a.max_rollout_iters > 256) {
    ctx.addIssue({
      code: "custom",
      path: at("max_rollout_iters"),
      message:
        "the decoder holds 256 latent positions: num_init_latent_tokens × max_rollout_iters must be ≤ 256",
    });
  }
});

/** The schema a raw config goes through: upstream's flat argument dict is accepted as well. */
export const alitConfigSchema = z.preprocess(normaliseAlitRaw, alitSchema);

/** A parsed ALIT config. */
export type AlitConfig = z.infer<typeof alitSchema>;

/** A raw config ALIT reads: `alit:` arguments, or those arguments at the top level (upstream's dict). */
export function normaliseAlitRaw(raw: unknown): unknown {
  const r = raw as Record<string, unknown> | undefined;
  if (r && typeof r === "object" && !("alit" in r) && "max_rollout_iters" in r) {
    const { vqgan, vae, ...alit } = r;
    return { alit, ...(vqgan ? { vqgan } : {}), ...(vae ? { vae } : {}) };
  }
  return raw;
}

/** The weight of the latent VQ's entropy regulariser in training (tok1d's `vq_entropy_loss_weight`; 0: none). */
export function alitEntropyWeight(c: AlitConfig): number {
  return c.alit.vq_entropy_loss_weight ?? 0;
}

/** Derived sizes. */
export function alitDims(c: AlitConfig) {
  const a = c.alit;
  const grid = a.img_size / a.patch_size;
  const vae = a.base_tokenizer === "vae";
  return {
    image: a.img_size,
    patch: a.patch_size,
    grid,
    n: grid * grid,
    width: a.encoder_width,
    t: a.num_init_latent_tokens,
    iters: a.max_rollout_iters,
    vae,
    /** Channels of the base tokenizer's latent (VQGAN z, or the VAE's, 16 for KL-16). */
    z: vae ? c.vae.z_channels : c.vqgan.z_channels,
    /** What the decoder head predicts per image token: VQGAN code logits, or the VAE latent. */
    out: vae ? c.vae.z_channels : c.vqgan.n_embed,
    c: a.vq_token_dim,
  };
}
