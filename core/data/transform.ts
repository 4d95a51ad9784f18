/**
 * The image transforms each family trains and evaluates with, on decoded RGB
 * images, ending in a float32 CHW square in [0, 1]:
 *
 * | family / use | options |
 * |---|---|
 * | TiTok, MARVEL evaluation (all families' `--testing_custom_images`) | `resize: "shorter", crop: "center"` (bicubic) |
 * | TiTok, MARVEL training | `resize: "shorter", crop: "random", flip: true` |
 * | ALIT training | `crop: "random-resized", scale: [0.8, 1], flip: true` (bilinear) |
 * | ALIT evaluation | `resize: "none", crop: "center"` (crop the full-size image) |
 * | BDD-1D | `resize: "none", crop: "center"` (256² out of a 1280×720 frame) |
| ElasticTok (images and video frames) | `filter: "bilinear", rounding: "floor"` (upstream's `_image_resize_shortest`) |
 *
 * Resampling is Pillow-exact (`resize.ts`). Random choices come from the
 * `Rng` passed in, so a sample's crop and flip depend only on its seed. Crops
 * larger than the image pad with black, as torchvision's `CenterCrop` does.
 *
 * @example
 * ```ts
 * import { Rng } from "../init.ts";
 * import { decodeImage } from "./image.ts";
 * import { transformToChw } from "./transform.ts";
 * const chw = transformToChw(await decodeImage("a.jpg"), { size: 256, crop: "random", flip: true }, new Rng(7));
 * ```
 * @module
 */
import { check } from "../errors.ts";
import type { Rng } from "../init.ts";
import type { RgbImage } from "./image.ts";
import {
  centerCrop,
  type Filter,
  resize,
  resizeCenterCrop,
  type Rounding,
  ROUNDINGS,
  shorterSideSize,
} from "./resize.ts";

/** How to turn a decoded image into a `size`×`size` training or evaluation input. */
export interface TransformOptions {
  /** Output side. */
  size: number;
  /** "shorter" (default): shorter side → size first; "none": crop the image as it is. */
  resize?: "shorter" | "none";
  /** "center" (default), "random" (RandomCrop) or "random-resized" (RandomResizedCrop). */
  crop?: "center" | "random" | "random-resized";
  /** RandomResizedCrop area range (default [0.08, 1], torchvision's). */
  scale?: [number, number];
  /** RandomResizedCrop aspect-ratio range (default [3/4, 4/3]). */
  ratio?: [number, number];
  /** Resampling (default bicubic; bilinear for random-resized, as torchvision's default). */
  filter?: Filter;
  /** Shorter-side size and centre-crop arithmetic (default torchvision's; "floor": ElasticTok's). */
  rounding?: Rounding;
  /** Random horizontal flip with probability 1/2. */
  flip?: boolean;
}

/** Throws a UsageError naming the bad option. */
export function checkTransform(o: TransformOptions): void {
  check(Number.isInteger(o.size) && o.size > 0, () => `size: must be a positive integer, got ${o.size}`);
  check(
    !o.resize || ["shorter", "none"].includes(o.resize),
    () => `resize: "shorter" or "none", got ${o.resize}`,
  );
  check(
    !o.crop || ["center", "random", "random-resized"].includes(o.crop),
    () => `crop: "center", "random" or "random-resized", got ${o.crop}`,
  );
  check(
    !o.rounding || ROUNDINGS.includes(o.rounding),
    () => `rounding: ${ROUNDINGS.map((r) => `"${r}"`).join(" or ")}, got ${o.rounding}`,
  );
  const [s0, s1] = o.scale ?? [0.08, 1];
  check(0 < s0 && s0 <= s1 && s1 <= 1, () => `scale: expected 0 < min ≤ max ≤ 1, got [${o.scale}]`);
  const [r0, r1] = o.ratio ?? [3 / 4, 4 / 3];
  check(0 < r0 && r0 <= r1, () => `ratio: expected 0 < min ≤ max, got [${o.ratio}]`);
}

/** Pixels [x, x + w) × [y, y + h); the box must lie inside the image. */
function cut(img: RgbImage, x: number, y: number, w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) {
    const from = ((y + r) * img.width + x) * 3;
    data.set(img.data.subarray(from, from + w * 3), r * w * 3);
  }
  return { data, width: w, height: h };
}

/** torchvision's `RandomResizedCrop.get_params`: (x, y, w, h). */
export function randomResizedBox(
  width: number,
  height: number,
  scale: [number, number],
  ratio: [number, number],
  rng: Rng,
): [number, number, number, number] {
  const area = width * height;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (scale[0] + rng.next() * (scale[1] - scale[0]));
    const aspect = Math.exp(logRatio[0] + rng.next() * (logRatio[1] - logRatio[0]));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const y = Math.floor(rng.next() * (height - h + 1));
      const x = Math.floor(rng.next() * (width - w + 1));
      return [x, y, w, h];
    }
  }
  // Fallback: the central crop at the nearest allowed aspect ratio.
  const inRatio = width / height;
  let w = width, h = height;
  if (inRatio < ratio[0]) h = Math.round(w / ratio[0]);
  else if (inRatio > ratio[1]) w = Math.round(h * ratio[1]);
  return [Math.floor((width - w) / 2), Math.floor((height - h) / 2), w, h];
}

/** The `size`×`size` RGB image the options ask for. */
export function transformImage(img: RgbImage, o: TransformOptions, rng: Rng): RgbImage {
  const { size } = o;
  const crop = o.crop ?? "center";
  if (crop === "random-resized") {
    const [x, y, w, h] = randomResizedBox(
      img.width,
      img.height,
      o.scale ?? [0.08, 1],
      o.ratio ?? [3 / 4, 4 / 3],
      rng,
    );
    return resize(cut(img, x, y, w, h), size, size, o.filter ?? "bilinear");
  }
  const filter = o.filter ?? "bicubic";
  if (crop === "center") {
    return o.resize === "none" ? centerCrop(img, size) : resizeCenterCrop(img, size, filter, o.rounding);
  }
  let base = img;
  if (o.resize !== "none") {
    const [w, h] = shorterSideSize(img.width, img.height, size, o.rounding);
    base = resize(img, w, h, filter);
  }
  if (base.width < size || base.height < size) {
    base = centerCrop(base, Math.max(size, base.width), Math.max(size, base.height)); // pad
  }
  const y = Math.floor(rng.next() * (base.height - size + 1));
  const x = Math.floor(rng.next() * (base.width - size + 1));
  return cut(base, x, y, size, size);
}

const BY_255 = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** Writes `img` as CHW `x / 255` (torchvision's ToTensor) into `out` at `offset`, mirrored when `flip`. */
export function writeChw(img: RgbImage, out: Float32Array, offset = 0, flip = false): void {
  const { width: w, height: h, data } = img;
  const n = w * h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + (flip ? w - 1 - x : x)) * 3;
      const d = offset + y * w + x;
      out[d] = BY_255[data[s]];
      out[d + n] = BY_255[data[s + 1]];
      out[d + 2 * n] = BY_255[data[s + 2]];
    }
  }
}

/**
 * Transform + flip + ToTensor in one: a float32 `[3, size, size]` array.
 * The crop draws from `rng` first, then the flip.
 */
export function transformToChw(img: RgbImage, o: TransformOptions, rng: Rng): Float32Array {
  const out = transformImage(img, o, rng);
  const flip = !!o.flip && rng.next() < 0.5;
  const chw = new Float32Array(3 * o.size * o.size);
  writeChw(out, chw, 0, flip);
  return chw;
}
