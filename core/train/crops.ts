/**
 * Training batches from a folder of photos: every photo is decoded once and
 * kept at a few scales (shorter side = size × 1, 1.25, 1.5, 2 by default, or
 * the run's `--crop-scales`; Pillow-exact bicubic, or the family's
 * `Plugin.inputTransform` — filter and shorter-side rounding — so that
 * training resizes as encode does); a batch is random
 * crops with horizontal flips. At scale 1, the crop at encode's centre-crop
 * offsets without a flip is exactly encode's input for that photo. Which photo, scale,
 * crop and flip depend only on (seed, step, slot), so a resumed run sees the
 * same batches as an uninterrupted one.
 * @module
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { BadImages } from "../data/bad_images.ts";
import { decodeImage, type RgbImage } from "../data/image.ts";
import { resize, shorterSideSize } from "../data/resize.ts";
import type { InputTransform } from "../plugin.ts";
import { UsageError } from "../errors.ts";
import { Rng } from "../init.ts";
import type { Tensor } from "../tensor.ts";

/** Shorter side of each kept scale, in multiples of the crop size. */
export const DEFAULT_CROP_SCALES: readonly number[] = [1, 1.25, 1.5, 2];
/** Largest scale: a photo is held at (size·s)² per scale, so this bounds the memory a folder takes. */
export const MAX_CROP_SCALE = 8;
const IMAGE = /\.(png|jpe?g|webp)$/i;

/**
 * The scales of `--crop-scales` ("1,1.5,2,3"): each a number from 1 (the whole shorter side, as encode
 * sees a photo) to {@link MAX_CROP_SCALE} (a zoomed-in detail).
 */
export function parseCropScales(text: string): number[] {
  const parts = text.split(",").map((t) => t.trim());
  const notNumber = parts.find((t) => t === "" || !Number.isFinite(Number(t)));
  if (notNumber !== undefined) {
    throw new UsageError(
      `--crop-scales ${text}: '${notNumber}' is not a number (comma-separated, e.g. ${
        DEFAULT_CROP_SCALES.join(",")
      })`,
    );
  }
  const scales = parts.map(Number);
  checkCropScales(scales, text);
  return scales;
}

/** Refuses an empty list or a scale outside 1‥{@link MAX_CROP_SCALE}, naming `--crop-scales`. */
export function checkCropScales(scales: readonly number[], text = scales.join(",")): void {
  const bad = scales.find((s) => !Number.isFinite(s) || s < 1 || s > MAX_CROP_SCALE);
  if (!scales.length || bad !== undefined) {
    throw new UsageError(
      `--crop-scales ${text}: expected comma-separated scales from 1 to ${MAX_CROP_SCALE} ` +
        `(e.g. ${DEFAULT_CROP_SCALES.join(",")})${bad === undefined ? "" : `; '${bad}' is not one`}`,
    );
  }
}

/** Random-crop sampler over in-memory photos. */
export class CropSampler {
  private constructor(
    readonly size: number,
    readonly seed: number,
    private readonly pyramids: RgbImage[][],
  ) {}

  /** Number of photos. */
  get count(): number {
    return this.pyramids.length;
  }

  /** Loads every image in `dir` (not recursive; sorted by name), resized with `transform` (default bicubic). */
  static async fromFolder(
    dir: string,
    size: number,
    seed: number,
    bad?: BadImages,
    transform: InputTransform = {},
    scales: readonly number[] = DEFAULT_CROP_SCALES,
  ): Promise<CropSampler> {
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => IMAGE.test(f) && statSync(join(dir, f)).isFile()).sort();
    } catch {
      throw new UsageError(`--data ${dir}: not a readable folder`);
    }
    if (!files.length) throw new UsageError(`--data ${dir}: no .png/.jpg/.webp images in the folder`);
    const pyramids: RgbImage[][] = [];
    for (const f of files) {
      let img: RgbImage;
      try {
        img = await decodeImage(join(dir, f));
      } catch (e) {
        if (!bad || !(e instanceof UsageError)) throw e;
        bad.report(join(dir, f), (e as Error).message); // throws when strict
        continue;
      }
      pyramids.push(scales.map((s) => {
        const [w, h] = shorterSideSize(img.width, img.height, Math.round(size * s), transform.rounding);
        return resize(img, w, h, transform.filter ?? "bicubic");
      }));
    }
    if (!pyramids.length) throw new UsageError(`--data ${dir}: no readable image in the folder`);
    return new CropSampler(size, seed, pyramids);
  }

  /** Width and height of photo `photo` at scale index `level`. */
  levelSize(photo: number, level: number): [number, number] {
    const img = this.pyramids[photo][level];
    return [img.width, img.height];
  }

  /** Writes the `size`² crop at (x0, y0) of `photo` at scale `level`, mirrored when `flip`, as CHW in [0, 1]. */
  crop(
    photo: number,
    level: number,
    x0: number,
    y0: number,
    flip: boolean,
    out: Float32Array,
    base = 0,
  ): void {
    const s = this.size;
    const img = this.pyramids[photo][level];
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        const sx = x0 + (flip ? s - 1 - x : x);
        const p = ((y0 + y) * img.width + sx) * 3;
        for (let ch = 0; ch < 3; ch++) out[base + ch * s * s + y * s + x] = img.data[p + ch] / 255;
      }
    }
  }

  /** The batch of step `step`: float32 (n, 3, size, size) in [0, 1]. */
  batch(step: number, n: number): Tensor<"float32"> {
    const s = this.size;
    const data = new Float32Array(n * 3 * s * s);
    for (let i = 0; i < n; i++) {
      const rng = new Rng((this.seed * 1_000_003 + step * 7919 + i * 104_729) >>> 0);
      const photo = Math.floor(rng.next() * this.pyramids.length);
      const level = Math.floor(rng.next() * this.pyramids[photo].length);
      const [w, h] = this.levelSize(photo, level);
      const x0 = Math.floor(rng.next() * (w - s + 1));
      const y0 = Math.floor(rng.next() * (h - s + 1));
      this.crop(photo, level, x0, y0, rng.next() < 0.5, data, i * 3 * s * s);
    }
    return { dtype: "float32", shape: [n, 3, s, s], data };
  }
}
