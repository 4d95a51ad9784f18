/**
 * BDD-1D's config schema: upstream's Lightning/OmegaConf layout
 * (`configs/vqgan_baseline.yaml` of sejal-0502/1d-tokenizer) —
 * `model.target`, `model.params.{pretrained_model_name, encoder_config,
 * decoder_config, quantizer_config}` each with `target` and `params`. Training
 * sections (`loss_config`, `entropy_loss_weight_scheduler_config`, `data`,
 * `base_learning_rate`, …) pass through untouched. Defaults are the shipped
 * config's values (ViT-B/16 at 256 px, K = 64, 4096 × 16 cosine codebook,
 * taming decoder ch 128, ch_mult [1,1,2,2,4], attention at 16²).
 *
 * With `pretrained: true` (every released config) the encoder is timm's ViT;
 * tok1d reads its `model_width`, `depth`, `heads` and `mlp_dim` (upstream
 * builds timm's default ViT-B whatever they say; the shipped values agree),
 * so reduced test configs can be expressed in the same layout. With
 * `pretrained: false` it is upstream's un-initialised `EncoderVIT`
 * (scratch_encoder.ts), which reads all of them and `dim_head`.
 * @module
 */
import { z } from "zod";

/** An upstream constructor argument inference does not read (declared so it is not reported as unknown). */
const unused = z.unknown().optional();

const targeted = <T extends z.ZodRawShape>(params: T) =>
  z.looseObject({ target: z.string().optional(), params: z.looseObject(params) });

const encoder = targeted({
  image_size: z.number().int().positive().default(256),
  patch_size: z.number().int().positive().default(16),
  model_width: z.number().int().positive().default(768),
  depth: z.number().int().positive().default(12),
  heads: z.number().int().positive().default(12),
  mlp_dim: z.number().int().positive().default(3072),
  /** Head width of the un-initialised EncoderVIT (its default 64); the timm ViT uses model_width / heads. */
  dim_head: z.number().int().positive().default(64),
  token_size: z.number().int().positive().default(16),
  num_latent_tokens: z.number().int().positive().default(64),
  pretrained: z.boolean().default(true),
  normalize_embedding: z.boolean().default(false),
  z_channels: unused,
  channels: z.literal(3).optional(),
});

const decoder = targeted({
  resolution: z.number().int().positive().default(256),
  patch_size: z.number().int().positive().default(16),
  model_width: z.number().int().positive().default(768),
  token_size: z.number().int().positive().default(16),
  num_latent_tokens: z.number().int().positive().default(64),
  out_ch: z.number().int().positive().default(3),
  ch: z.number().int().positive().default(128),
  ch_mult: z.array(z.number().int().positive()).min(1).default([1, 1, 2, 2, 4]),
  num_res_blocks: z.number().int().nonnegative().default(2),
  attn_resolutions: z.array(z.number().int().positive()).default([16]),
  resamp_with_conv: z.literal(true).optional(),
  give_pre_end: z.literal(false).optional(),
  double_z: unused,
  z_channels: unused,
  in_channels: unused,
  dropout: unused,
  normalize_embedding: unused,
});

const quantizer = targeted({
  n_e: z.number().int().positive().default(4096),
  e_dim: z.number().int().positive().default(16),
  beta: z.number().nonnegative().default(0.25),
  normalize_embedding: z.boolean().default(false),
  /** Index remapping changes what ids mean: not supported. */
  remap: z.null().optional(),
  unknown_index: unused,
  sane_index_shape: unused,
  legacy: unused,
  diversity_gamma: unused,
  frac_per_sample_entropy: unused,
});

/** The model class every released BDD-1D config names. */
export const BDD_TARGET = "taming.models.vqgan_dino.VQModel2WithEntropyDINOLossMAEinit";

/** The BDD-1D config schema with upstream defaults. */
export const bddSchema = z.looseObject({
  model: z.looseObject({
    target: z.string().optional(),
    base_learning_rate: unused,
    params: z.looseObject({
      pretrained_model_name: z.string().nullish(),
      // Training and logging arguments of the Lightning module.
      monitor: unused,
      grad_acc_steps: unused,
      ckpt_path: unused,
      ignore_keys: unused,
      image_key: unused,
      colorize_nlabels: unused,
      loss_config: unused,
      entropy_loss_weight_scheduler_config: unused,
      encoder_config: encoder,
      decoder_config: decoder,
      quantizer_config: quantizer,
    }),
  }),
}).superRefine((c, ctx) => {
  const p = c.model.params;
  const e = p.encoder_config.params, d = p.decoder_config.params, q = p.quantizer_config.params;
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path: ["model", ...path], message });
  if (c.model.target !== undefined && c.model.target !== BDD_TARGET) {
    issue(
      ["target"],
      `tok1d runs ${BDD_TARGET} (the pretrained-ViT model of every BDD-1D config), got ${c.model.target}`,
    );
  }
  if (e.image_size % e.patch_size) {
    issue(
      ["params", "encoder_config", "params", "patch_size"],
      `patch_size must divide image_size ${e.image_size}`,
    );
  }
  if (e.pretrained && e.model_width % e.heads) {
    issue(["params", "encoder_config", "params", "heads"], `heads must divide model_width ${e.model_width}`);
  }
  for (const [section, v] of [["encoder_config", e.token_size], ["decoder_config", d.token_size]] as const) {
    if (v !== q.e_dim) {
      issue(
        ["params", section, "params", "token_size"],
        `token_size ${v} differs from quantizer e_dim ${q.e_dim}`,
      );
    }
  }
  if (d.num_latent_tokens !== e.num_latent_tokens) {
    issue(
      ["params", "decoder_config", "params", "num_latent_tokens"],
      `the decoder reads ${d.num_latent_tokens} tokens but the encoder emits ${e.num_latent_tokens}`,
    );
  }
  // Upstream's decoder grid is its patch_size (16 = 256/16 only by coincidence); the image must come out at image_size.
  const out = d.patch_size * 2 ** (d.ch_mult.length - 1);
  if (out !== e.image_size) {
    issue(
      ["params", "decoder_config", "params", "patch_size"],
      `the decoder draws patch_size·2^(len(ch_mult)−1) = ${out} px, not image_size ${e.image_size}`,
    );
  }
  if (d.resolution % 2 ** (d.ch_mult.length - 1)) {
    issue(
      ["params", "decoder_config", "params", "resolution"],
      "resolution must divide by 2^(len(ch_mult)−1)",
    );
  }
  d.ch_mult.forEach((m, i) => {
    if ((d.ch * m) % 32) {
      issue(
        ["params", "decoder_config", "params", "ch_mult", i],
        `ch·ch_mult = ${d.ch * m} is not a multiple of 32 (GroupNorm groups)`,
      );
    }
  });
});

/** A parsed BDD-1D config. */
export type BddConfig = z.infer<typeof bddSchema>;

/** A raw config in BDD-1D's layout: `model.params` with encoder, decoder and quantizer configs. */
export function isBddLayout(raw: unknown): boolean {
  const p = (raw as { model?: { params?: Record<string, unknown> } })?.model?.params;
  return !!p && typeof p === "object" && "encoder_config" in p && "decoder_config" in p &&
    "quantizer_config" in p;
}
