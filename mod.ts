/**
 * tok1d — run, train and evaluate 1D image tokenizers (TiTok and MARVEL; ALIT,
 * ElasticTok and BDD-1D follow) as ONNX graphs on ONNX Runtime.
 *
 * @example
 * ```ts
 * import { loadImages, loadTokenizer } from "./mod.ts";
 * const tok = await loadTokenizer("path/to/tokenizer_titok_l32_imagenet", { threads: 2 });
 * const images = await loadImages(["cat.jpg"], tok.info.imageSize);
 * const { tokens } = await tok.encode(images); // int64 (1, 1, 32)
 * const recon = await tok.decode(tokens);      // float32 (1, 3, 256, 256)
 * ```
 * @module
 */
export {
  buildGraphs,
  type Encoded,
  type LoadOptions,
  loadTokenizer,
  openTokenizer,
  type ProgramName,
  Tokenizer,
} from "./core/tokenizer.ts";
export { type Calibration, CALIBRATION_PHOTOS, calibrationFiles } from "./core/tokenizer_calibration.ts";
export { EXPORT_FILES, type ExportManifest, exportOnnx, graphFile } from "./core/export.ts";
export { listPresets, type ResolvedModel, resolveModel } from "./core/resolve.ts";
export type {
  BuildOptions,
  EncodeOptions,
  EvalProtocol,
  FamilyOption,
  HelperNetwork,
  InitMapper,
  InitMapping,
  InputSpec,
  Plugin,
  Program,
  ProgramContext,
  Programs,
  TokenizerInfo,
  TrainHooks,
} from "./core/plugin.ts";
export { singlePassPrograms } from "./core/programs.ts";
export { assertFiniteTokens, concatTokens, sliceTokens, tokenCounts, type Tokens } from "./core/tokens.ts";
export { readTokens, TOKEN_FILES, TokenWriter, writeTokens } from "./core/tokens_file.ts";
export { mergeTokenParts } from "./core/tokens_merge.ts";
export { definePlugin } from "./core/plugin.ts";
export { UsageError } from "./core/errors.ts";
export type { DType, Tensor } from "./core/tensor.ts";
export { loadImages, toUint8Image } from "./core/data/batch.ts";
export { gridRows, makeGrid, writePng } from "./core/data/png.ts";
export { readNpy, writeNpy } from "./core/data/npy.ts";
export { type BatchOptions, type ImageBatch, type ImageSource, openImageSource } from "./core/data/reader.ts";
export { convertImageFolder } from "./core/data/convert_imagefolder.ts";
export { convertBdd100k } from "./core/data/convert_bdd100k.ts";
export { type Manifest, mergeManifests, readManifest } from "./core/data/manifest.ts";
export {
  CodebookUsage,
  evaluateTokenizer,
  type Evaluation,
  FeatureStatistics,
  frechetDistance,
  InceptionFeatures,
  psnr,
  readStatistics,
  ssim,
  writeStatistics,
} from "./core/metrics/mod.ts";
export { writeEvaluationReport } from "./core/report/mod.ts";
export { PLUGINS } from "./plugins/mod.ts";
export {
  buildTrainStep,
  type CustomFeed,
  type Feed,
  type FeedContext,
  type LossBuilder,
  type LossParts,
  type TrainStep,
} from "./core/autodiff/train_step.ts";
export { type TrainOptions, type TrainResult, trainTokenizer } from "./core/train/train.ts";
export { applyInit, type InitFrom, type InitReport } from "./core/train/init_from.ts";
export { resamplePosEmbed } from "./core/weights/pos_embed_resample.ts";
export { gradients } from "./core/autodiff/grad.ts";
export { type GanRun, type RunOptions, runTraining, type StepLog } from "./core/train/runner.ts";
export { buildGanRun } from "./core/train/gan.ts";
export * from "./core/losses/mod.ts";
export { type Device, DEVICES, type Precision, PRECISIONS } from "./core/runtime/mod.ts";
