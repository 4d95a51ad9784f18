/**
 * Resampling that reproduces Pillow bit for bit, and the upstream evaluation
 * transform built on it.
 *
 * {@link resize} is Pillow's `ImagingResample` for 8-bit images (Pillow 9.4,
 * unchanged in this respect up to 11.x): separable, horizontal pass first (only
 * over the rows the vertical pass reads, which does not change the result),
 * then vertical; the filter support is widened by the downscale factor
 * (antialiasing); coefficients are normalised, then turned into fixed point
 * with `PRECISION_BITS = 32 - 8 - 2`; each pass rounds (adds half) and clips to
 * 0..255. Pillow's `reduce()` is not involved: `Image.resize` only calls it
 * when `reducing_gap` is given, and torchvision does not give it.
 *
 * {@link resizeCenterCrop} is TiTok's evaluation transform,
 * `transforms.Resize(size, BICUBIC, antialias=True)` then
 * `transforms.CenterCrop(size)` on a PIL image: shorter side → `size`, longer
 * side → `int(size * long / short)` (torchvision's `_compute_resized_output_size`),
 * then a crop at `int(round((h - size) / 2.0))` with Python's round-half-even.
 * Its `rounding: "floor"` is ElasticTok's frame transform instead (Pillow
 * bilinear there; see {@link Rounding}).
 *
 * @example
 * ```ts
 * import { decodeImage } from "./image.ts";
 * import { resizeCenterCrop } from "./resize.ts";
 * const img = resizeCenterCrop(await decodeImage("photo.jpg"), 256); // 256×256 RGB
 * ```
 * @module
 */
import { check } from "../errors.ts";
import type { RgbImage } from "./image.ts";

/** Resampling filters (Pillow's `Image.BICUBIC` and `Image.BILINEAR`). */
export type Filter = "bicubic" | "bilinear";

/**
 * How a shorter-side resize and its centre crop round. "torchvision"
 * (default): long side `int(size * long / short)`, crop offsets
 * `round((side − size) / 2)` half to even. "floor": LargeWorldModel's
 * `_image_resize_shortest` + `_image_center_crop` (ElasticTok's data
 * pipeline): long side `int(long * (size / short))`, raised to `size` when it
 * comes out one short, crop offsets `(side − size) // 2`.
 */
export type Rounding = "torchvision" | "floor";

/** The roundings {@link resizeCenterCrop} knows. */
export const ROUNDINGS: readonly Rounding[] = ["torchvision", "floor"];

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);

/** Pillow's filters: kernel and support (radius at scale 1). */
const FILTERS: Record<Filter, { support: number; kernel: (x: number) => number }> = {
  bicubic: {
    support: 2,
    kernel(x) {
      const a = -0.5;
      if (x < 0) x = -x;
      if (x < 1) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  bilinear: {
    support: 1,
    kernel(x) {
      if (x < 0) x = -x;
      return x < 1 ? 1 - x : 0;
    },
  },
};

/** Fixed-point coefficients of outputs [from, from + n): output i reads `count[i]` taps from `start[i]`. */
interface Coeffs {
  ksize: number;
  start: Int32Array;
  count: Int32Array;
  k: Int32Array;
}

/**
 * Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the box [0, inSize),
 * restricted to outputs [from, to) (each output's taps depend only on its index).
 */
function coefficients(inSize: number, outSize: number, filter: Filter, from: number, to: number): Coeffs {
  const { support: baseSupport, kernel } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = baseSupport * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const n = to - from;
  const start = new Int32Array(n);
  const count = new Int32Array(n);
  const k = new Int32Array(n * ksize);
  const w = new Float64Array(ksize);
  const ss = 1.0 / filterscale;
  for (let i = 0; i < n; i++) {
    const center = (i + from + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      w[x] = kernel((x + xmin - center + 0.5) * ss);
      ww += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? w[x] / ww : w[x];
      k[i * ksize + x] = Math.trunc(
        v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS),
      );
    }
    start[i] = xmin;
    count[i] = Math.max(0, xmax);
  }
  return { ksize, start, count, k };
}

// Both passes accumulate in int32 exactly like Pillow's C (`int ss += UINT8 * INT32`): |sum| stays
// below 2^31 for these filters, and wraps the same way if it ever did not. Storing `sum >> 22`
// into a Uint8ClampedArray is Pillow's clip8.

/** Horizontal pass over source rows [y0, y0 + rows). */
function horizontal(src: Uint8Array, srcW: number, y0: number, rows: number, c: Coeffs): Uint8Array {
  const outW = c.start.length;
  const out = new Uint8ClampedArray(rows * outW * 3);
  const { ksize, start, count, k } = c;
  for (let yy = 0; yy < rows; yy++) {
    const rowIn = (yy + y0) * srcW * 3;
    let o = yy * outW * 3;
    for (let xx = 0; xx < outW; xx++) {
      let s0 = HALF, s1 = HALF, s2 = HALF;
      let p = rowIn + start[xx] * 3;
      const kb = xx * ksize, n = count[xx];
      for (let x = 0; x < n; x++, p += 3) {
        const w = k[kb + x];
        s0 = (s0 + Math.imul(src[p], w)) | 0;
        s1 = (s1 + Math.imul(src[p + 1], w)) | 0;
        s2 = (s2 + Math.imul(src[p + 2], w)) | 0;
      }
      out[o++] = s0 >> PRECISION_BITS;
      out[o++] = s1 >> PRECISION_BITS;
      out[o++] = s2 >> PRECISION_BITS;
    }
  }
  return new Uint8Array(out.buffer);
}

/** Vertical pass; `y0` is subtracted from every tap start (rows already cut away). */
function vertical(src: Uint8Array, width: number, y0: number, c: Coeffs): Uint8Array {
  const outH = c.start.length;
  const rowLen = width * 3;
  const out = new Uint8ClampedArray(outH * rowLen);
  const { ksize, start, count, k } = c;
  const acc = new Int32Array(rowLen);
  for (let yy = 0; yy < outH; yy++) {
    acc.fill(HALF);
    const kb = yy * ksize, n = count[yy];
    for (let y = 0; y < n; y++) {
      const w = k[kb + y];
      const row = (start[yy] - y0 + y) * rowLen;
      for (let i = 0; i < rowLen; i++) acc[i] = (acc[i] + Math.imul(src[row + i], w)) | 0;
    }
    const o = yy * rowLen;
    for (let i = 0; i < rowLen; i++) out[o + i] = acc[i] >> PRECISION_BITS;
  }
  return new Uint8Array(out.buffer);
}

/** Copies the pixels of columns [x0, x0 + w) and rows [y0, y0 + h). */
function crop(img: RgbImage, x0: number, y0: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const from = ((y + y0) * img.width + x0) * 3;
    out.set(img.data.subarray(from, from + w * 3), y * w * 3);
  }
  return out;
}

/**
 * The window [left, left + w) × [top, top + h) of the `width` × `height`
 * Pillow resize, computing only what that window needs.
 */
function resizeWindow(
  img: RgbImage,
  width: number,
  height: number,
  filter: Filter,
  [left, top, w, h]: [number, number, number, number],
): RgbImage {
  const needH = width !== img.width;
  const needV = height !== img.height;
  const cv = needV ? coefficients(img.height, height, filter, top, top + h) : undefined;
  // Source rows the vertical pass reads (or the window's rows when there is none).
  const first = cv ? cv.start[0] : top;
  const last = cv ? cv.start[h - 1] + cv.count[h - 1] : top + h;
  const rows = needH
    ? horizontal(
      img.data,
      img.width,
      first,
      last - first,
      coefficients(img.width, width, filter, left, left + w),
    )
    : crop(img, left, first, w, last - first);
  return { data: cv ? vertical(rows, w, first, cv) : rows, width: w, height: h };
}

/**
 * Resizes to exactly `width` × `height` as Pillow's
 * `Image.resize((width, height), Image.BICUBIC)` does (or `BILINEAR`).
 * A same-size request returns the input object itself.
 *
 * @example
 * ```ts
 * import { decodeImage } from "./image.ts";
 * const img = await decodeImage("photo.jpg");
 * const small = resize(img, 128, 96); // bicubic
 * const soft = resize(img, 128, 96, "bilinear");
 * ```
 */
export function resize(img: RgbImage, width: number, height: number, filter: Filter = "bicubic"): RgbImage {
  check(
    Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0,
    () => `resize: target size must be positive integers, got ${width}×${height}`,
  );
  check(
    filter in FILTERS,
    () => `resize: unknown filter '${filter}' (use ${Object.keys(FILTERS).join(", ")})`,
  );
  if (width === img.width && height === img.height) return img;
  return resizeWindow(img, width, height, filter, [0, 0, width, height]);
}

/**
 * torchvision's size for `Resize(size)` with an int: the shorter side becomes
 * `size`, the longer `int(size * long / short)`. Returns `[width, height]`.
 * With `rounding` "floor", upstream ElasticTok's arithmetic instead (see {@link Rounding}).
 *
 * @example
 * ```ts
 * shorterSideSize(500, 375, 256); // [341, 256]
 * ```
 */
export function shorterSideSize(
  width: number,
  height: number,
  size: number,
  rounding: Rounding = "torchvision",
): [number, number] {
  const [short, long] = width <= height ? [width, height] : [height, width];
  let newLong = rounding === "floor" ? Math.trunc(long * (size / short)) : Math.trunc((size * long) / short);
  if (rounding === "floor" && newLong === size - 1) newLong = size;
  return width <= height ? [size, newLong] : [newLong, size];
}

/** Python 3's `round` (half to even) for the non-negative halves that cropping produces. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision's `CenterCrop((height, width))`: offsets `int(round((h - size) / 2.0))`
 * (half to even); when the image is smaller it is first padded with black as
 * torchvision does.
 *
 * @example
 * ```ts
 * import { decodeImage } from "./image.ts";
 * const square = centerCrop(await decodeImage("photo.jpg"), 256);
 * ```
 */
export function centerCrop(img: RgbImage, width: number, height: number = width): RgbImage {
  check(
    Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0,
    () => `centerCrop: crop size must be positive integers, got ${width}×${height}`,
  );
  const cw = width, ch = height;
  if (cw > img.width || ch > img.height) {
    const left = Math.max(0, Math.floor((cw - img.width) / 2));
    const top = Math.max(0, Math.floor((ch - img.height) / 2));
    const right = Math.max(0, Math.floor((cw - img.width + 1) / 2));
    const bottom = Math.max(0, Math.floor((ch - img.height + 1) / 2));
    const W = img.width + left + right, H = img.height + top + bottom;
    const data = new Uint8Array(W * H * 3);
    for (let y = 0; y < img.height; y++) {
      data.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), ((y + top) * W + left) * 3);
    }
    img = { data, width: W, height: H };
  }
  if (cw === img.width && ch === img.height) return img;
  const top = roundHalfEven((img.height - ch) / 2.0);
  const left = roundHalfEven((img.width - cw) / 2.0);
  return { data: crop(img, left, top, cw, ch), width: cw, height: ch };
}

/**
 * The upstream evaluation transform: `Resize(size, BICUBIC, antialias=True)`
 * then `CenterCrop(size)`, bit-exact with torchvision on PIL images. An image
 * already `size` × `size` comes back untouched.
 *
 * @example
 * ```ts
 * import { decodeImage } from "./image.ts";
 * const x = resizeCenterCrop(await decodeImage("ILSVRC2012_val_00000001.JPEG"), 256);
 * ```
 */
export function resizeCenterCrop(
  img: RgbImage,
  size: number,
  filter: Filter = "bicubic",
  rounding: Rounding = "torchvision",
): RgbImage {
  check(
    Number.isInteger(size) && size > 0,
    () => `resizeCenterCrop: size must be a positive integer, got ${size}`,
  );
  check(
    filter in FILTERS,
    () => `resizeCenterCrop: unknown filter '${filter}' (use ${Object.keys(FILTERS).join(", ")})`,
  );
  check(ROUNDINGS.includes(rounding), () => `resizeCenterCrop: unknown rounding '${rounding}'`);
  const [w, h] = shorterSideSize(img.width, img.height, size, rounding);
  if (img.width === size && img.height === size) return img;
  // Same pixels as centerCrop(resize(img, w, h), size), computing only the crop (w, h >= size here).
  const offset = rounding === "floor"
    ? (d: number) => Math.floor(d / 2)
    : (d: number) => roundHalfEven(d / 2.0);
  const window: [number, number, number, number] = [offset(w - size), offset(h - size), size, size];
  return resizeWindow(img, w, h, filter, window);
}
