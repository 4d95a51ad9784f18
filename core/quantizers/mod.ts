/**
 * Quantizers, one file each, with a uniform return and paired index/code maps.
 * @module
 */
export { type Gaussian, gaussianKl, gaussianPosterior, gaussianSample } from "./gaussian.ts";
export { type QuantizeResult, vqCodesToIndices, vqIndicesToCodes, type VqOptions, vqQuantize } from "./vq.ts";
