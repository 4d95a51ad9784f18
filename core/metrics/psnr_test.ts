import { ok, strictEqual, throws } from "node:assert";
import { readNpy } from "../data/npy.ts";
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { psnr } from "./psnr.ts";

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
  Deno.test(`psnr: equals skimage 0.19.3 peak_signal_noise_ratio on ${name} images`, () => {
    const p = psnr(pick(reference), pick(test));
    for (let i = 0; i < 3; i++) {
      const [want] = expected[name][i];
      if (want === "inf") strictEqual(p[i], Infinity);
      else ok(rel(p[i], want) < 1e-6, `psnr[${i}] ${p[i]} vs ${want}`);
    }
  });
}

Deno.test("psnr: hand-computed value and bad input", () => {
  const zero: Tensor = { dtype: "float32", shape: [1, 1, 1, 2], data: Float32Array.of(0, 0) };
  const half: Tensor = { dtype: "float32", shape: [1, 1, 1, 2], data: Float32Array.of(0.1, 0.3) };
  // MSE = (0.01 + 0.09)/2 = 0.05 → 10·log10(20) = 13.0103 dB.
  ok(Math.abs(psnr(zero, half)[0] - 10 * Math.log10(20)) < 1e-6);
  throws(() => psnr(zero, reference), UsageError);
});
