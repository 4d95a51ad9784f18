/**
 * Image and array I/O — the only part of tok1d that touches image codecs.
 *
 * - `npy.ts`: NumPy `.npy` read/write;
 * - `image.ts`: PNG/JPEG/WebP → 8-bit RGB, as PIL's `convert("RGB")`;
 * - `resize.ts`: Pillow-exact bicubic/bilinear resampling and the upstream
 *   evaluation transform (resize shorter side + centre crop);
 * - `batch.ts`: files → `[B, 3, H, W]` float batches and back to 8-bit;
 * - `png.ts`: PNG writing and image grids.
 *
 * @example
 * ```ts
 * import { gridRows, loadImages, writePng } from "./mod.ts";
 * const x = await loadImages(["a.jpg", "b.jpg"], 256);
 * const grid = gridRows([x]);
 * await writePng("grid.png", grid.data, grid.width, grid.height);
 * ```
 * @module
 */
export { decodeNpy, encodeNpy, readNpy, writeNpy } from "./npy.ts";
export {
  decodeImage,
  type DecodeOptions,
  IMAGE_FORMATS,
  MAX_PIXELS,
  MAX_SIDE,
  type RgbImage,
} from "./image.ts";
export { centerCrop, type Filter, resize, resizeCenterCrop, shorterSideSize } from "./resize.ts";
export { imageToTensor, loadImages, type LoadOptions, toUint8Image } from "./batch.ts";
export { encodePng, type GridOptions, gridRows, makeGrid, writePng } from "./png.ts";
export {
  type BatchOptions,
  type ImageBatch,
  type ImageSource,
  openImageSource,
  type OpenOptions,
} from "./reader.ts";
export { transformImage, type TransformOptions } from "./transform.ts";
export {
  convertImageFolder,
  type ImageFolderOptions,
  loadSubset,
  type SplitResult,
} from "./convert_imagefolder.ts";
export { type Bdd100kOptions, convertBdd100k } from "./convert_bdd100k.ts";
export { type ConvertJob, convertToShards } from "./convert.ts";
export { type Manifest, mergeManifests, readManifest } from "./manifest.ts";
export { expandBraces } from "./brace.ts";
export { parseShardFlag, type ShardSlice } from "./shard_slice.ts";
export { packTar } from "./tar.ts";
export { readTar, type TarMember } from "./tar_read.ts";
