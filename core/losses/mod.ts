/**
 * Training losses beyond a family's own: the stage-1 proxy-code
 * cross-entropy, perceptual losses (LPIPS-VGG16, ConvNeXt-S logits) from
 * user-brought weights, and the GAN terms (hinge, LeCam, generator).
 * @module
 */
export { adaptiveGanWeight } from "./adaptive_weight.ts";
export { PROXY_CODEBOOK, proxyCodeCrossEntropy, teacherCodes } from "./proxy_codes.ts";
export { parsePerceptualSpec, PERCEPTUAL_SCOPE, perceptualLoss, type PerceptualSpec } from "./perceptual.ts";
export {
  loadPerceptualWeights,
  PERCEPTUAL_FILES,
  type PerceptualFileKind,
  randomPerceptualWeights,
  requiredPerceptualFiles,
} from "./perceptual_weights.ts";
export {
  adversarialTerm,
  discriminatorLoss,
  type GanSettings,
  generatorAdversarialLoss,
  hingeDiscriminatorLoss,
  lecamLoss,
} from "./gan.ts";
