/**
 * Layers composed from ops, with upstream parameter names.
 * @module
 */
export { gelu, silu } from "./activations.ts";
export { multiheadAttention } from "./attention.ts";
export { conv2d, type Conv2dOptions } from "./conv.ts";
export { linear } from "./linear.ts";
export { groupNorm, layerNorm } from "./norm.ts";
export { batchNorm2dTrain, batchNormBuffers, type BatchNormOptions, Buffers } from "./batch_norm.ts";
export {
  patchGan,
  PATCHGAN_DEFAULTS,
  patchGanBuffers,
  type PatchGanOptions,
  patchGanWeights,
} from "./patchgan.ts";
export {
  MASKGIT_NAMING,
  MASKGIT_VQGAN_F16,
  resnetBlock,
  TAMING_NAMING,
  tamingToMaskgitKey,
  type VqganConfig,
  vqganDecoder,
  vqganEncoder,
  type VqganNaming,
} from "./maskgit_vqgan.ts";
export {
  KL16,
  KL16_LATENT_SCALE,
  type Kl16Config,
  kl16Decode,
  kl16DecoderNet,
  kl16EncoderNet,
  type Kl16Latent,
  kl16Latent,
  kl16Moments,
  ldmAttnBlock,
  ldmResnetBlock,
} from "./kl16_vae.ts";
export { residualAttentionBlock, transformer } from "./vit_block.ts";
export { upsampleConv3x3 } from "./upsample_conv.ts";
export { winogradConv3x3, winogradFits } from "./winograd.ts";
export {
  MASKGIT_CODES,
  TITOK_VIT_SIZES,
  type VitSize,
  type VitTokenArch,
  vitTokenDecoder,
  type VitTokenDecoderArch,
  vitTokenEncoder,
  type VitTokenEncoderArch,
} from "./titok_vit.ts";
export { VGG16_STAGES, vgg16Features, type Vgg16Taps } from "./vgg16.ts";
export { cnBlock, convnext, CONVNEXT_SMALL, type ConvNextSize, layerNorm2d } from "./convnext.ts";
export { bilinearAAWeights, resizeBilinearAA } from "./resize_aa.ts";
export {
  discriminator,
  type DiscriminatorOptions,
  discriminatorWeights,
  NLAYER_DEFAULTS,
} from "./discriminator.ts";
export {
  constLike,
  dense,
  type LayerParams,
  type Layout,
  type ParamFn,
  paramFn,
  paramsFrom,
  weightName,
} from "./dense.ts";
export { rmsNorm } from "./rms_norm.ts";
export { swiglu } from "./swiglu.ts";
export { applyRope, ropeFrequencies, ropeGather, ropeTable } from "./rope.ts";
export { type AttentionOptions, type KvCache, llamaAttention } from "./masked_attention.ts";
export { blockCausalMask, type BlockMaskOptions } from "./block_mask.ts";
export { llamaBlock, type LlamaBlockOptions, llamaStack } from "./llama_block.ts";
export { patchify, patchifyClip, type PatchSize, unpatchify } from "./patchify.ts";
export { addKeptEmbedding, dropMasked } from "./kept_embed.ts";
