import { deepStrictEqual, ok, throws } from "node:assert";
import { readNpy } from "../data/npy.ts";
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { ssim } from "./ssim.ts";

const DIR = new URL("../../tests/testdata/metrics/", import.meta.url).pathname;
const expected = JSON.parse(Deno.readTextFileSync(`${DIR}/psnr_ssim/expected.json`));
const reference = readNpy(`${DIR}/inception/images.npy`);
const u8 = readNpy(`${DIR}/psnr_ssim/test_uint8.npy`);
const test: Tensor = {
  dtype: "float32",
  shape: u8.shape,
  data: Float32Array.from(u8.data as Uint8Array, (v) => v / 255),
};

function crop(t: Tensor, y0: number, y1: number, x0: number, x1: number): Tensor {
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

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

for (
  const [name, pick] of [["full", (t: Tensor) => t], [
    "crop_11x25",
    (t: Tensor) => crop(t, 3, 14, 5, 30),
  ]] as const
) {
  Deno.test(`ssim: equals skimage 0.19.3 structural_similarity (gaussian window) on ${name} images`, () => {
    const s = ssim(pick(reference), pick(test));
    for (let i = 0; i < 3; i++) {
      const [, want] = expected[name][i];
      ok(rel(s[i], want) < 1e-6, `ssim[${i}] ${s[i]} vs ${want}`);
    }
  });
}

Deno.test("ssim: identical images give 1; too small or mismatched images are UsageErrors", () => {
  deepStrictEqual([...ssim(reference, reference)], [1, 1, 1]);
  const tiny: Tensor = { dtype: "float32", shape: [1, 1, 10, 12], data: new Float32Array(120) };
  throws(() => ssim(tiny, tiny), (e: Error) => e instanceof UsageError && /at least 11×11/.test(e.message));
  throws(() => ssim(reference, tiny), UsageError);
});
