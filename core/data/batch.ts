/**
 * Images ↔ tensors: load files into the `[B, 3, size, size]` float batch every
 * tokenizer takes, and turn a float image back into 8-bit pixels.
 *
 * Values follow upstream exactly: loading is `ToTensor()` (`x / 255` in
 * float32) after the evaluation transform; quantising back is TiTok's
 * evaluator, `torch.round(torch.clamp(x, 0, 1) * 255)` — a float32 product
 * rounded half to even (NaN becomes 0). Note that TiTok's demo script
 * truncates instead (`(x * 255).to(torch.uint8)`); the evaluator is the one
 * that defines the reported metrics, so it is the one reproduced here.
 *
 * @example
 * ```ts
 * import { loadImages, toUint8Image } from "./batch.ts";
 * const batch = await loadImages(["a.jpg", "b.png"], 256); // float32 [2, 3, 256, 256]
 * const first = toUint8Image(batch, 0); // RgbImage 256×256
 * ```
 * @module
 */
import { check, UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { decodeImage, type RgbImage } from "./image.ts";
import { type Filter, resizeCenterCrop } from "./resize.ts";

const BY_255 = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * Writes an RGB image as CHW float32 `x / 255` into `out` at element `offset`
 * (torchvision's `ToTensor`).
 */
function writeChw(img: RgbImage, out: Float32Array, offset: number): void {
  const n = img.width * img.height;
  const src = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[offset + i] = BY_255[src[j]];
    out[offset + n + i] = BY_255[src[j + 1]];
    out[offset + 2 * n + i] = BY_255[src[j + 2]];
  }
}

/**
 * One RGB image as a float32 `[3, H, W]` tensor in [0, 1].
 *
 * @example
 * ```ts
 * import { decodeImage } from "./image.ts";
 * const x = imageToTensor(await decodeImage("cat.png")); // [3, H, W]
 * ```
 */
export function imageToTensor(img: RgbImage): Tensor<"float32"> {
  const data = new Float32Array(3 * img.width * img.height);
  writeChw(img, data, 0);
  return { dtype: "float32", shape: [3, img.height, img.width], data };
}

/** Options of {@link loadImages}. */
export interface LoadOptions {
  /** Resampling filter of the resize (default bicubic, as upstream). */
  filter?: Filter;
  /** Images decoded ahead of the one being resized (default 2). */
  lookahead?: number;
}

/**
 * Decodes, resizes (shorter side → `size`, Pillow bicubic) and centre-crops
 * every file, in input order, into a float32 `[B, 3, size, size]` batch in [0, 1].
 * Decoding of the next files overlaps with resizing of the current one.
 *
 * @example
 * ```ts
 * const x = await loadImages(["tests/testdata/photos/chelsea.png"], 256);
 * console.log(x.shape); // [1, 3, 256, 256]
 * ```
 */
export async function loadImages(
  paths: string[],
  size: number,
  options: LoadOptions = {},
): Promise<Tensor<"float32">> {
  check(Number.isInteger(size) && size > 0, () => `loadImages: size must be a positive integer, got ${size}`);
  const plane = 3 * size * size;
  const data = new Float32Array(paths.length * plane);
  const ahead = Math.max(1, options.lookahead ?? 2);
  const pending: Promise<RgbImage>[] = [];
  const start = (i: number) => {
    if (i < paths.length) {
      const p = decodeImage(paths[i]);
      p.catch(() => {}); // surfaced when awaited below, in order
      pending[i] = p;
    }
  };
  for (let i = 0; i < ahead; i++) start(i);
  for (let i = 0; i < paths.length; i++) {
    const img = await pending[i];
    delete pending[i];
    start(i + ahead);
    writeChw(resizeCenterCrop(img, size, options.filter), data, i * plane);
  }
  return { dtype: "float32", shape: [paths.length, 3, size, size], data };
}

/** torch.round of the product (float32 or float64 like the tensor): half to even. */
function quantise(x: number, f32: boolean): number {
  if (!(x > 0)) return 0; // also NaN
  if (x >= 1) return 255;
  const v = f32 ? Math.fround(x * 255) : x * 255;
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Converts a float image in [0, 1] — `[3, H, W]`, or item `index` of a
 * `[B, 3, H, W]` batch — to 8-bit RGB: clamp to [0, 1], then
 * `round(x * 255)` half to even, as TiTok's evaluator.
 *
 * @example
 * ```ts
 * const batch = await loadImages(["a.png", "b.png", "c.png", "d.png"], 256);
 * const rgb = toUint8Image(batch, 3); // 4th image of the batch
 * ```
 */
export function toUint8Image(t: Tensor, index = 0): RgbImage {
  if (t.dtype !== "float32" && t.dtype !== "float64") {
    throw new UsageError(`toUint8Image: expects a float32 or float64 image tensor, got ${t.dtype}`);
  }
  const rank4 = t.shape.length === 4;
  if (!(rank4 || t.shape.length === 3) || t.shape[rank4 ? 1 : 0] !== 3) {
    throw new UsageError(`toUint8Image: expects shape [3, H, W] or [B, 3, H, W], got [${t.shape}]`);
  }
  const [h, w] = t.shape.slice(-2);
  const b = rank4 ? t.shape[0] : 1;
  check(
    Number.isInteger(index) && index >= 0 && index < b,
    () => `toUint8Image: index ${index} out of [0, ${b})`,
  );
  const n = h * w;
  const src = t.data as Float32Array | Float64Array;
  const base = index * 3 * n;
  const out = new Uint8Array(n * 3);
  const f32 = t.dtype === "float32";
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) out[3 * i + c] = quantise(src[base + c * n + i], f32);
  }
  return { data: out, width: w, height: h };
}
