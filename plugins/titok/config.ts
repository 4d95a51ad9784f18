/**
 * TiTok's config schema: upstream's OmegaConf layout (`model.vq_model.*`,
 * `dataset.preprocessing.crop_size`), which both the YAML files under
 * upstream's configs/ and the HF `config.json` use. Unknown sections
 * (experiment, generator, training, losses…) pass through untouched.
 *
 * tok1d extensions: the `tiny` (tests) and `mini` (the embedded default) model sizes, and
 * `model.vq_model.pixel_decoder` to size the MaskGIT-VQGAN decoder (upstream
 * hard-codes the released f16/256 one, which stays the default).
 * @module
 */
import { z } from "zod";
import {
  checkTitokLayout,
  datasetSchema,
  DIMENSION_BUDGET,
  vitTokenizerFields,
} from "../../core/nn/titok_vit_schema.ts";
import { TITOK_VIT_SIZES } from "../../core/nn/titok_vit.ts";

/** ViT sizes by name (width, depth, heads), shared with MARVEL through core/nn. */
export const VIT_SIZES = TITOK_VIT_SIZES;

const vqModel = z.looseObject({
  quantize_mode: z.enum(["vq", "vae"]).default("vq"),
  codebook_size: z.number().int().positive().max(DIMENSION_BUDGET.codebook).default(4096),
  token_size: z.number().int().positive().max(DIMENSION_BUDGET.tokenSize),
  use_l2_norm: z.boolean().default(false),
  commitment_cost: z.number().nonnegative().default(0.25),
  /** Upstream's training-time keys (TA-TiTok's dead-code re-init, MaskGen's latent scale): not read here. */
  clustering_vq: z.boolean().optional(),
  scale_factor: z.number().optional(),
  ...vitTokenizerFields,
});

/** The TiTok config schema with upstream defaults. */
export const titokSchema = z.looseObject({
  model: z.looseObject({ vq_model: vqModel }),
  dataset: datasetSchema,
}).superRefine((c, ctx) => {
  const m = c.model.vq_model;
  if (m.finetune_decoder && m.quantize_mode !== "vq") {
    ctx.addIssue({
      code: "custom",
      path: ["model", "vq_model", "finetune_decoder"],
      message: "finetune_decoder (two-stage decoding) works only with quantize_mode 'vq', as upstream",
    });
  }
  checkTitokLayout(m, c.dataset.preprocessing.crop_size, ctx);
});

/** A parsed TiTok config. */
export type TiTokConfig = z.infer<typeof titokSchema>;
