/**
 * Quantizers, one file each, with a uniform return ({@link QuantizeResult}:
 * straight-through `quantized`, int64 `indices`, scalar `losses`) and paired
 * indices ↔ codes maps that round-trip exactly.
 * @module
 */
export {
  type Gaussian,
  gaussianKl,
  type GaussianOptions,
  gaussianPosterior,
  gaussianQuantize,
  gaussianSample,
} from "./gaussian.ts";
export {
  fsqBasis,
  fsqBound,
  fsqCodebookSize,
  fsqCodesToIndices,
  fsqIndicesToCodes,
  type FsqOptions,
  fsqQuantize,
} from "./fsq.ts";
export {
  lfqCodebook,
  lfqCodebookSize,
  lfqCodesToIndices,
  lfqIndicesToCodes,
  type LfqOptions,
  lfqQuantize,
} from "./lfq.ts";
export {
  type QuantizeResult,
  vqCodebook,
  vqCodesToIndices,
  vqIndicesToCodes,
  type VqOptions,
  vqQuantize,
  vqSoftCodes,
} from "./vq.ts";
export { entropyOf, vqEntropyAux, type VqEntropyOptions } from "./vq_entropy.ts";
