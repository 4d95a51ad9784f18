/**
 * Test fixture shared by psnr_test.ts and ssim_test.ts: the reference images,
 * the 8-bit test images and skimage's expected values
 * (tests/testdata/metrics/README.md says how they were made), plus a crop.
 * @module
 */
import { readNpy } from "../data/npy.ts";
import type { Tensor } from "../tensor.ts";

const DIR = new URL("../../tests/testdata/metrics/", import.meta.url).pathname;
export const expected = JSON.parse(Deno.readTextFileSync(`${DIR}/psnr_ssim/expected.json`));
export const reference = readNpy(`${DIR}/inception/images.npy`);
const u8 = readNpy(`${DIR}/psnr_ssim/test_uint8.npy`);
export const test: Tensor = {
  dtype: "float32",
  shape: u8.shape,
  data: Float32Array.from(u8.data as Uint8Array, (v) => v / 255),
};

/** Rows y0..y1 and columns x0..x1 of every image and channel. */
export function crop(t: Tensor, y0: number, y1: number, x0: number, x1: number): Tensor {
  const [b, c, h, w] = t.shape;
  const out = new Float32Array(b * c * (y1 - y0) * (x1 - x0));
  let o = 0;
  for (let p = 0; p < b * c; p++) {
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) out[o++] = (t.data as Float32Array)[(p * h + y) * w + x];
    }
  }
  return { dtype: "float32", shape: [b, c, y1 - y0, x1 - x0], data: out };
}

/** Relative difference. */
export const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
