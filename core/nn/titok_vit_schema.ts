/**
 * The config keys every family built on the TiTok ViT halves shares
 * (upstream's `model.vq_model.vit_*` keys, the legacy/two-stage switches,
 * tok1d's `pixel_decoder` extension and `dataset.preprocessing.crop_size`),
 * as zod pieces that TiTok's and MARVEL's schemas spread into their own.
 * @module
 */
import { z } from "zod";
import { TITOK_VIT_SIZES } from "./titok_vit.ts";
import { MASKGIT_VQGAN_F16, type VqganConfig } from "./maskgit_vqgan.ts";

/** A ViT size name of {@link TITOK_VIT_SIZES}. */
export const vitSizeSchema = z.enum(
  Object.keys(TITOK_VIT_SIZES) as ["tiny", "mini", "small", "base", "large"],
);

/**
 * Sanity budgets of the dimension-like keys: far above every released model
 * (L-32: 256 px, 32 tokens, codebook 8192), low enough that a typo is refused
 * (naming the key) before the graph is built or anything allocated.
 */
export const DIMENSION_BUDGET = {
  tokens: 4096,
  imageSize: 4096,
  patchSize: 1024,
  codebook: 1 << 20,
  tokenSize: 1024,
  channels: 4096,
  blocks: 64,
} as const;

const dim = (max: number) => z.number().int().positive().max(max);

/** Size of the MaskGIT-VQGAN pixel decoder (default: the released f16/256 one). */
export const pixelDecoderSchema = z.object({
  channel_mult: z.array(dim(64)).min(1).max(8).default([1, 1, 2, 2, 4]),
  hidden_channels: dim(DIMENSION_BUDGET.channels).default(128),
  num_res_blocks: dim(DIMENSION_BUDGET.blocks).default(2),
  z_channels: dim(DIMENSION_BUDGET.channels).default(256),
});

/**
 * The shared `model.vq_model` fields (spread them into a family's object).
 * `pretrained_tokenizer_weight` is upstream's training-time teacher path
 * (tok1d takes `--teacher`): declared so that upstream's training configs load
 * without an unknown-key warning; it is not read.
 */
export const vitTokenizerFields = {
  vit_enc_model_size: vitSizeSchema,
  vit_dec_model_size: vitSizeSchema,
  vit_enc_patch_size: dim(DIMENSION_BUDGET.patchSize),
  vit_dec_patch_size: dim(DIMENSION_BUDGET.patchSize),
  num_latent_tokens: dim(DIMENSION_BUDGET.tokens),
  pretrained_tokenizer_weight: z.string().optional(),
  finetune_decoder: z.boolean().default(true),
  is_legacy: z.boolean().default(true),
  pixel_decoder: pixelDecoderSchema.optional(),
};

/**
 * `dataset.preprocessing.crop_size`, default 256. Upstream's training
 * augmentation keys (`resize_shorter_edge`, `random_crop`, `random_flip`,
 * `res_ratio_filtering`) are declared so its configs load without a warning;
 * tok1d's training crops are its own (`tok1d train --data`).
 */
export const datasetSchema = z.looseObject({
  preprocessing: z.looseObject({
    crop_size: dim(DIMENSION_BUDGET.imageSize).default(256),
    resize_shorter_edge: dim(DIMENSION_BUDGET.imageSize).optional(),
    random_crop: z.boolean().optional(),
    random_flip: z.boolean().optional(),
    res_ratio_filtering: z.boolean().optional(),
  }).default({ crop_size: 256 }),
}).default({ preprocessing: { crop_size: 256 } });

/** The pixel decoder a config asks for (the released MaskGIT-VQGAN when it says nothing). */
export function pixelDecoderConfig(pd?: z.infer<typeof pixelDecoderSchema>): VqganConfig {
  if (!pd) return MASKGIT_VQGAN_F16;
  return {
    channelMult: pd.channel_mult,
    hiddenChannels: pd.hidden_channels,
    numResBlocks: pd.num_res_blocks,
    zChannels: pd.z_channels,
  };
}
