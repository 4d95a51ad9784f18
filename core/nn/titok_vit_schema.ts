/**
 * The config keys every family built on the TiTok ViT halves shares
 * (upstream's `model.vq_model.vit_*` keys, the legacy/two-stage switches,
 * tok1d's `pixel_decoder` extension and `dataset.preprocessing.crop_size`),
 * as zod pieces that TiTok's and MARVEL's schemas spread into their own.
 * @module
 */
import { z } from "zod";
import {
  TITOK_VIT_SIZES,
  type VitSize,
  type VitTokenDecoderArch,
  type VitTokenEncoderArch,
} from "./titok_vit.ts";
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
  /** tok1d extension: the encoder's depth instead of its size's (e.g. a deeper `tiny`). */
  vit_enc_num_layers: dim(DIMENSION_BUDGET.blocks).optional(),
  /** tok1d extension: the decoder's depth instead of its size's. */
  vit_dec_num_layers: dim(DIMENSION_BUDGET.blocks).optional(),
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

/** The `model.vq_model` fields every TiTok-layout config has (after parsing). */
export interface VitTokenizerFields {
  vit_enc_model_size: keyof typeof TITOK_VIT_SIZES;
  vit_dec_model_size: keyof typeof TITOK_VIT_SIZES;
  vit_enc_num_layers?: number;
  vit_dec_num_layers?: number;
  vit_enc_patch_size: number;
  vit_dec_patch_size: number;
  num_latent_tokens: number;
  token_size: number;
  finetune_decoder: boolean;
  is_legacy: boolean;
  pixel_decoder?: z.infer<typeof pixelDecoderSchema>;
}

/** A raw config in TiTok's OmegaConf layout (`model.vq_model` with ViT sizes and a latent token count). */
export function isTitokLayout(raw: unknown): boolean {
  const m = (raw as { model?: { vq_model?: unknown } })?.model?.vq_model;
  return !!m && typeof m === "object" && "vit_enc_model_size" in m && "num_latent_tokens" in m;
}

/** The encoder's or decoder's ViT size: its named size, with `vit_*_num_layers` overriding the depth. */
export function vitSizeOf(m: VitTokenizerFields, half: "enc" | "dec"): VitSize {
  const size = TITOK_VIT_SIZES[half === "enc" ? m.vit_enc_model_size : m.vit_dec_model_size];
  const layers = half === "enc" ? m.vit_enc_num_layers : m.vit_dec_num_layers;
  return layers === undefined ? size : { ...size, layers };
}

/**
 * The encoder and decoder halves of a TiTok-layout config (core/nn/titok_vit.ts);
 * `outChannels` is what the encoder emits (TiTok's VAE: 2·token_size).
 */
export function titokVitArch(
  m: VitTokenizerFields,
  image: number,
  outChannels = m.token_size,
): { encoder: VitTokenEncoderArch; decoder: VitTokenDecoderArch } {
  const common = { image, numTokens: m.num_latent_tokens, tokenDim: m.token_size, isLegacy: m.is_legacy };
  return {
    encoder: {
      ...common,
      ...vitSizeOf(m, "enc"),
      patch: m.vit_enc_patch_size,
      outChannels,
    },
    decoder: {
      ...common,
      ...vitSizeOf(m, "dec"),
      patch: m.vit_dec_patch_size,
      pixelDecoder: m.finetune_decoder ? pixelDecoderConfig(m.pixel_decoder) : undefined,
    },
  };
}

/** The checks every TiTok-layout schema refines with: patch sizes divide the crop, the pixel decoder reaches it. */
export function checkTitokLayout(m: VitTokenizerFields, crop: number, ctx: z.RefinementCtx): void {
  const at = (...keys: string[]) => ["model", "vq_model", ...keys];
  for (const k of ["vit_enc_patch_size", "vit_dec_patch_size"] as const) {
    if (crop % m[k]) {
      ctx.addIssue({ code: "custom", path: at(k), message: `${m[k]} does not divide crop_size ${crop}` });
    }
  }
  if (m.is_legacy && m.finetune_decoder) {
    const levels = (m.pixel_decoder?.channel_mult ?? [1, 1, 2, 2, 4]).length;
    if ((crop / m.vit_dec_patch_size) * 2 ** (levels - 1) !== crop) {
      ctx.addIssue({
        code: "custom",
        path: at("pixel_decoder", "channel_mult"),
        message: `${levels} levels upsample the ${crop / m.vit_dec_patch_size}² grid by ${
          2 ** (levels - 1)
        }, not to ${crop}`,
      });
    }
  }
}
