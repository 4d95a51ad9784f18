/**
 * Evaluation metrics: FID with the Inception network FID is defined with
 * (pytorch-fid's port of TensorFlow's 2015-12-05 graph, two published front
 * ends), streaming float64 feature statistics that merge across shards, the
 * Fréchet distance, statistics files (`.npz`, ADM reference batches), PSNR,
 * SSIM and codebook usage.
 *
 * @example
 * ```ts
 * import { FeatureStatistics, frechetDistance, InceptionFeatures } from "./mod.ts";
 * const inception = await InceptionFeatures.create("pt_inception-2015-12-05-6726825d.pth");
 * const real = new FeatureStatistics(2048), fake = new FeatureStatistics(2048);
 * await real.add(await inception.extract(originals));
 * await fake.add(await inception.extract(reconstructions));
 * const { fid } = await frechetDistance(real.result(), fake.result());
 * ```
 * @module
 */
export {
  buildInception,
  FEATURE_DIM,
  FID_PROTOCOLS,
  type FidProtocol,
  INCEPTION_SIZE,
  INCEPTION_WEIGHTS,
  isFidProtocol,
  type ProtocolSpec,
} from "./inception.ts";
export {
  inceptionWeights,
  loadInceptionWeights,
  missingInceptionMessage,
  randomInceptionWeights,
} from "./inception_weights.ts";
export { InceptionFeatures, type InceptionOptions, toUint8Values } from "./features.ts";
export { FeatureStatistics, type FidStatistics } from "./fid_stats.ts";
export {
  frechetDistance,
  type FrechetOptions,
  type FrechetResult,
  type Gaussian,
  traceSqrtProduct,
} from "./frechet.ts";
export { readStatistics, type StoredStatistics, writeStatistics } from "./stats_file.ts";
export { npzNames, readNpz, writeNpz } from "./npz.ts";
export { psnr } from "./psnr.ts";
export { ssim } from "./ssim.ts";
export { type CodebookReport, CodebookUsage } from "./codebook.ts";
export { isLegacyTorch, parseLegacyTorch } from "../weights/torch_legacy.ts";
export {
  accumulateEvaluation,
  type EvaluateOptions,
  evaluateTokenizer,
  type Evaluation,
  familyProtocol,
  quantize8bit,
  summarise,
} from "./evaluate.ts";
export { loadEvaluationStates, saveEvaluationState } from "./eval_state.ts";
export {
  imageStatistics,
  type ImageStatisticsOptions,
  PYTORCH_FID_EXTENSIONS,
  pytorchFidFiles,
} from "./image_stats.ts";
