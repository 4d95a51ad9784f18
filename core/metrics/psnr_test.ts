import { ok, strictEqual, throws } from "node:assert";
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { psnr } from "./psnr.ts";

import { crop, expected, reference, rel, test } from "./_psnr_ssim_fixture.ts";

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
