/**
 * MARVEL's config schema: upstream's OmegaConf layout (PadrickLeee/MDQ, a
 * TiTok fork: `model.vq_model.*` with `quantize_mode: lfq`,
 * `dataset.preprocessing.crop_size`). Unknown keys and sections
 * (`finetune_multi_depth`, `pretrained_tokenizer_weight`, experiment,
 * losses, training…) pass through untouched.
 *
 * tok1d extensions: `model.vq_model.num_depths` (D; upstream hard-codes 2 in
 * its forward pass and 4 in `decode_tokens`, the default here is upstream's
 * forward, 2), the `tiny` model size (tests), and `model.vq_model.pixel_decoder`
 * to size the MaskGIT-VQGAN decoder (default: the released f16/256 one).
 *
 * @example
 * ```ts
 * const c = marvelSchema.parse({ model: { vq_model: { quantize_mode: "lfq", token_size: 12, num_depths: 4,
 *   vit_enc_model_size: "large", vit_dec_model_size: "large", vit_enc_patch_size: 16, vit_dec_patch_size: 16,
 *   num_latent_tokens: 32 } } });
 * ```
 * @module
 */
import { z } from "zod";
import { checkTitokLayout, datasetSchema, vitTokenizerFields } from "../../core/nn/titok_vit_schema.ts";

const vqModel = z.looseObject({
  quantize_mode: z.enum(["lfq"]).default("lfq"),
  /** Bits per depth; indices are exact up to 24 bits. */
  token_size: z.number().int().positive().max(24),
  /** Optional in upstream's stage-1 config; when present it must be 2^token_size. */
  codebook_size: z.number().int().positive().optional(),
  num_depths: z.number().int().min(1).max(16).default(2),
  commitment_cost: z.number().nonnegative().default(0.25),
  entropy_loss_weight: z.number().nonnegative().default(0.02),
  entropy_loss_temperature: z.number().positive().default(0.01),
  entropy_gamma: z.number().nonnegative().default(1.0),
  /** Upstream's stage-1 switch (zeroes the TiTok quantizer before loading); `tok1d train --stage` here. */
  finetune_multi_depth: z.boolean().optional(),
  ...vitTokenizerFields,
});

/** The MARVEL config schema with upstream defaults. */
export const marvelSchema = z.looseObject({
  model: z.looseObject({ vq_model: vqModel }),
  dataset: datasetSchema,
}).superRefine((c, ctx) => {
  const m = c.model.vq_model;
  if (m.codebook_size !== undefined && m.codebook_size !== 2 ** m.token_size) {
    ctx.addIssue({
      code: "custom",
      path: ["model", "vq_model", "codebook_size"],
      message: `LFQ's implicit codebook has 2^token_size = ${
        2 ** m.token_size
      } entries, not ${m.codebook_size}`,
    });
  }
  checkTitokLayout(m, c.dataset.preprocessing.crop_size, ctx);
});

/** A parsed MARVEL config. */
export type MarvelConfig = z.infer<typeof marvelSchema>;
