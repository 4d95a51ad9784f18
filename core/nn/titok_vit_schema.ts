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

/** Size of the MaskGIT-VQGAN pixel decoder (default: the released f16/256 one). */
export const pixelDecoderSchema = z.object({
  channel_mult: z.array(z.number().int().positive()).min(1).default([1, 1, 2, 2, 4]),
  hidden_channels: z.number().int().positive().default(128),
  num_res_blocks: z.number().int().positive().default(2),
  z_channels: z.number().int().positive().default(256),
});

/** The shared `model.vq_model` fields (spread them into a family's object). */
export const vitTokenizerFields = {
  vit_enc_model_size: vitSizeSchema,
  vit_dec_model_size: vitSizeSchema,
  vit_enc_patch_size: z.number().int().positive(),
  vit_dec_patch_size: z.number().int().positive(),
  num_latent_tokens: z.number().int().positive(),
  finetune_decoder: z.boolean().default(true),
  is_legacy: z.boolean().default(true),
  pixel_decoder: pixelDecoderSchema.optional(),
};

/** `dataset.preprocessing.crop_size`, default 256. */
export const datasetSchema = z.looseObject({
  preprocessing: z.looseObject({ crop_size: z.number().int().positive().default(256) }).default({
    crop_size: 256,
  }),
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
