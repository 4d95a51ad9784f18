/**
 * Training batches from a folder of photos: every photo is decoded once and
 * kept at a few scales (shorter side = size × 1, 1.25, 1.5, 2, Pillow-exact
 * bicubic); a batch is random crops with horizontal flips. Which photo, scale,
 * crop and flip depend only on (seed, step, slot), so a resumed run sees the
 * same batches as an uninterrupted one.
 * @module
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { BadImages } from "../data/bad_images.ts";
import { decodeImage, type RgbImage } from "../data/image.ts";
import { resize, shorterSideSize } from "../data/resize.ts";
import { UsageError } from "../errors.ts";
import { Rng } from "../init.ts";
import type { Tensor } from "../tensor.ts";

const SCALES = [1, 1.25, 1.5, 2];
const IMAGE = /\.(png|jpe?g|webp)$/i;

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

  /** Loads every image in `dir` (not recursive; sorted by name). */
  static async fromFolder(dir: string, size: number, seed: number, bad?: BadImages): Promise<CropSampler> {
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
      pyramids.push(SCALES.map((s) => {
        const [w, h] = shorterSideSize(img.width, img.height, Math.round(size * s));
        return resize(img, w, h, "bicubic");
      }));
    }
    if (!pyramids.length) throw new UsageError(`--data ${dir}: no readable image in the folder`);
    return new CropSampler(size, seed, pyramids);
  }

  /** The batch of step `step`: float32 (n, 3, size, size) in [0, 1]. */
  batch(step: number, n: number): Tensor<"float32"> {
    const s = this.size;
    const data = new Float32Array(n * 3 * s * s);
    for (let i = 0; i < n; i++) {
      const rng = new Rng((this.seed * 1_000_003 + step * 7919 + i * 104_729) >>> 0);
      const levels = this.pyramids[Math.floor(rng.next() * this.pyramids.length)];
      const img = levels[Math.floor(rng.next() * levels.length)];
      const x0 = Math.floor(rng.next() * (img.width - s + 1));
      const y0 = Math.floor(rng.next() * (img.height - s + 1));
      const flip = rng.next() < 0.5;
      const base = i * 3 * s * s;
      for (let y = 0; y < s; y++) {
        for (let x = 0; x < s; x++) {
          const sx = x0 + (flip ? s - 1 - x : x);
          const p = ((y0 + y) * img.width + sx) * 3;
          for (let ch = 0; ch < 3; ch++) data[base + ch * s * s + y * s + x] = img.data[p + ch] / 255;
        }
      }
    }
    return { dtype: "float32", shape: [n, 3, s, s], data };
  }
}
