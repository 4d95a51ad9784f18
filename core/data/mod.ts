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
