/**
 * TiTok's config schema: upstream's OmegaConf layout (`model.vq_model.*`,
 * `dataset.preprocessing.crop_size`), which both the YAML files under
 * upstream's configs/ and the HF `config.json` use. Unknown sections
 * (experiment, generator, training, losses…) pass through untouched.
 *
 * tok1d extensions: the `tiny` (tests) and `mini` model sizes, `vit_enc_num_layers` /
 * `vit_dec_num_layers` (a half's depth instead of its size's),
 * `model.vq_model.pixel_decoder` to size the MaskGIT-VQGAN decoder (upstream
 * hard-codes the released f16/256 one, which stays the default), and
 * `quantize_mode: fsq` with `fsq_levels` (finite scalar quantisation, core/quantizers/fsq.ts:
 * no codebook to collapse, so a small single-stage run keeps its tokens distinct; token_size
 * is the number of levels and the vocabulary their product).
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
  quantize_mode: z.enum(["vq", "vae", "fsq"]).default("vq"),
  /** FSQ levels per token channel (`quantize_mode: fsq`), e.g. [8, 5, 5, 5]. */
  fsq_levels: z.array(z.number().int().min(2).max(1 << 16)).min(1).max(DIMENSION_BUDGET.tokenSize).optional(),
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
  if (m.quantize_mode === "fsq") {
    const levels = m.fsq_levels;
    if (!levels) {
      ctx.addIssue({
        code: "custom",
        path: ["model", "vq_model", "fsq_levels"],
        message: "quantize_mode 'fsq' needs fsq_levels (e.g. [8, 5, 5, 5])",
      });
    } else if (levels.length !== m.token_size) {
      ctx.addIssue({
        code: "custom",
        path: ["model", "vq_model", "token_size"],
        message: `${m.token_size} differs from the ${levels.length} channels of fsq_levels`,
      });
    } else if (levels.reduce((a, b) => a * b, 1) > DIMENSION_BUDGET.codebook) {
      ctx.addIssue({
        code: "custom",
        path: ["model", "vq_model", "fsq_levels"],
        message: `${levels.join("×")} codes exceed the codebook budget ${DIMENSION_BUDGET.codebook}`,
      });
    }
  }
  checkTitokLayout(m, c.dataset.preprocessing.crop_size, ctx);
});

/** A parsed TiTok config. */
export type TiTokConfig = z.infer<typeof titokSchema>;
