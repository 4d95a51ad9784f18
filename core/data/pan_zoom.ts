/**
 * Synthetic camera moves over a still photo: a clip of F frames whose crop
 * box moves linearly from one box to another (a pan when only the position
 * changes, a zoom when the size does, a still shot when neither), each box
 * resized to size × size with Pillow's bilinear filter (resize.ts). Used to
 * make training and held-out clips from CC0 photos (no video data sets can
 * be downloaded here).
 *
 * @example
 * ```ts
 * const img = await decodeImage("tests/testdata/photos/chelsea.png");
 * const pan = panZoomClip(img, { x: 0, y: 50, w: 200, h: 200 }, { x: 250, y: 50, w: 200, h: 200 }, 16, 32);
 * pan.shape; // [16, 3, 32, 32]
 * ```
 * @module
 */
import { check } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import type { RgbImage } from "./image.ts";
import { resize } from "./resize.ts";
import { writeChw } from "./transform.ts";

/** A crop box in source pixels. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The box `t` ∈ [0, 1] of the way from `a` to `b`, rounded to whole pixels inside the image. */
export function boxAt(a: Box, b: Box, t: number, width: number, height: number): Box {
  const lerp = (u: number, v: number) => u + (v - u) * t;
  const w = Math.max(1, Math.min(width, Math.round(lerp(a.w, b.w))));
  const h = Math.max(1, Math.min(height, Math.round(lerp(a.h, b.h))));
  const x = Math.max(0, Math.min(width - w, Math.round(lerp(a.x, b.x))));
  const y = Math.max(0, Math.min(height - h, Math.round(lerp(a.y, b.y))));
  return { x, y, w, h };
}

/** F frames (F, 3, size, size) in [0, 1] of a move from box `from` to box `to` (see the module doc). */
export function panZoomClip(
  img: RgbImage,
  from: Box,
  to: Box,
  frames: number,
  size: number,
): Tensor<"float32"> {
  check(Number.isInteger(frames) && frames >= 1, () => `panZoomClip: frames must be ≥ 1, got ${frames}`);
  const per = 3 * size * size;
  const out = new Float32Array(frames * per);
  for (let f = 0; f < frames; f++) {
    const b = boxAt(from, to, frames > 1 ? f / (frames - 1) : 0, img.width, img.height);
    const data = new Uint8Array(b.w * b.h * 3);
    for (let r = 0; r < b.h; r++) {
      const at = ((b.y + r) * img.width + b.x) * 3;
      data.set(img.data.subarray(at, at + b.w * 3), r * b.w * 3);
    }
    writeChw(resize({ data, width: b.w, height: b.h }, size, size, "bilinear"), out, f * per);
  }
  return { dtype: "float32", shape: [frames, 3, size, size], data: out };
}
