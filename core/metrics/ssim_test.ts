import { deepStrictEqual, ok, throws } from "node:assert";
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { ssim } from "./ssim.ts";

import { crop, expected, reference, rel, test } from "./_psnr_ssim_fixture.ts";

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
