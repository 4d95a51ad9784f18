/**
 * Image pipeline throughput on the committed sample photos (PNG and JPEG,
 * shorter side 300 px), one image per iteration, so "iter/s" reads as
 * images per second. sharp runs with one libvips thread and every call is
 * awaited in turn: all numbers are single-core.
 *
 *   deno bench --allow-read --allow-write --allow-ffi --allow-env --allow-sys bench/image_bench.ts
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { decodeImage, type RgbImage } from "../core/data/image.ts";
import { resizeCenterCrop, shorterSideSize } from "../core/data/resize.ts";

sharp.concurrency(1);
const DIR = new URL("../tests/testdata/photos/", import.meta.url).pathname;
const files = [
  ...readdirSync(DIR).map((f) => join(DIR, f)),
  ...readdirSync(join(DIR, "heldout")).map((f) => join(DIR, "heldout", f)),
].filter((f) => /\.(png|jpe?g|webp)$/.test(f));
const bytes = files.map((f) => readFileSync(f));
const jpegs = bytes.filter((_, i) => /\.jpe?g$/.test(files[i]));
const decoded: RgbImage[] = await Promise.all(files.map((f) => decodeImage(f)));
const SIZE = 256;
let i = 0;
const next = <T>(list: T[]): T => list[i++ % list.length];

Deno.bench("sharp decode → RGB (decodeImage), all photos", { group: "decode" }, async () => {
  await decodeImage(next(bytes));
});

Deno.bench("sharp decode → RGB, JPEG only", { group: "decode" }, async () => {
  await decodeImage(next(jpegs));
});

Deno.bench("PIL-exact bicubic resize 256 + centre crop (TypeScript)", { group: "resize" }, () => {
  resizeCenterCrop(next(decoded), SIZE);
});

Deno.bench("PIL-exact bilinear resize 256 + centre crop (TypeScript)", { group: "resize" }, () => {
  resizeCenterCrop(next(decoded), SIZE, "bilinear");
});

Deno.bench("pipeline: decode + PIL-exact resize + crop", { group: "pipeline", baseline: true }, async () => {
  resizeCenterCrop(await decodeImage(next(bytes)), SIZE);
});

Deno.bench("comparison: sharp decode + sharp resize (cubic) + crop", { group: "pipeline" }, async () => {
  const b = next(bytes);
  const meta = await sharp(b).metadata();
  const [w, h] = shorterSideSize(meta.width!, meta.height!, SIZE);
  await sharp(b, { ignoreIcc: true })
    .resize(w, h, { kernel: "cubic", fit: "fill" })
    .extract({ left: Math.round((w - SIZE) / 2), top: Math.round((h - SIZE) / 2), width: SIZE, height: SIZE })
    .removeAlpha()
    .raw()
    .toBuffer();
});

Deno.bench("comparison: sharp decode + sharp resize (lanczos3) + crop", { group: "pipeline" }, async () => {
  const b = next(bytes);
  const meta = await sharp(b).metadata();
  const [w, h] = shorterSideSize(meta.width!, meta.height!, SIZE);
  await sharp(b, { ignoreIcc: true })
    .resize(w, h, { fit: "fill" })
    .extract({ left: Math.round((w - SIZE) / 2), top: Math.round((h - SIZE) / 2), width: SIZE, height: SIZE })
    .removeAlpha()
    .raw()
    .toBuffer();
});
