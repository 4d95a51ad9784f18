/**
 * Tokenizer calibration: a float32 run of the programs on the built-in photos records a range for
 * the input and output of every int8-eligible conv of the graphs it ran (for TiTok: the encoder and
 * the MaskGIT-VQGAN decoder); an int8 tokenizer given those ranges runs its convs as QLinearConv and
 * reconstructs close to float32, and `calibrate: false` leaves convs in float32. `--calibrate` values
 * resolve to image files, with a UsageError naming the flag and path.
 */
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert";
import { loadTokenizer } from "./tokenizer.ts";
import { CALIBRATION_PHOTOS, calibrationFiles } from "./tokenizer_calibration.ts";
import { convActivations } from "./runtime/calibrate.ts";
import { fuseRegions } from "./runtime/fusion_pass.ts";
import { pruned } from "./runtime/prune.ts";
import { loadImages } from "./data/batch.ts";
import { UsageError } from "./errors.ts";
import type { Tensor } from "./tensor.ts";

function psnr(a: Tensor, b: Tensor): number {
  const x = a.data as Float32Array, y = b.data as Float32Array;
  let se = 0;
  for (let i = 0; i < x.length; i++) {
    se += (Math.min(1, Math.max(0, x[i])) - Math.min(1, Math.max(0, y[i]))) ** 2;
  }
  return 10 * Math.log10(x.length / se);
}

Deno.test("tokenizer calibration: ranges for every eligible conv; int8 convs reconstruct close to fp32", async () => {
  const opts = { random: true, seed: 0, threads: 1 } as const;
  const fp32 = await loadTokenizer("titok/tiny", { ...opts, keepWeights: true });
  const cal = await fp32.calibrate();
  try {
    deepStrictEqual([...cal.keys()].sort(), ["decoder", "encoder"]);
    const decoder = fp32.graph("decoder");
    const want = convActivations(fuseRegions(pruned(decoder), () => true), fp32.weights);
    ok(want.length >= 20, `decoder convs: ${want.length}`);
    deepStrictEqual([...cal.get("decoder")!.keys()].sort(), [...want].sort());
    for (const [name, r] of cal.get("decoder")!) ok(Number.isFinite(r.min) && r.min <= r.max, name);
    const x = await loadImages(CALIBRATION_PHOTOS.slice(0, 2), fp32.info.imageSize);
    const ref = await fp32.reconstruct(x);
    const int8 = await loadTokenizer("titok/tiny", { ...opts, precision: "int8", calibration: cal });
    const linear = await loadTokenizer("titok/tiny", { ...opts, precision: "int8", calibrate: false });
    try {
      const a = (await int8.reconstruct(x)).images, b = (await linear.reconstruct(x)).images;
      // int8 convs (QDQ) change the decoder's output a little more than int8 Linear layers alone.
      const withConvs = psnr(a, ref.images), linearOnly = psnr(b, ref.images);
      ok(
        withConvs > 30 && withConvs < linearOnly,
        `PSNR vs fp32: convs ${withConvs}, linear only ${linearOnly}`,
      );
    } finally {
      await int8.release();
      await linear.release();
    }
  } finally {
    await fp32.release();
  }
});

Deno.test("calibrationFiles: files in order, a folder's images sorted; missing paths name the flag", () => {
  const dir = new URL("../tests/testdata/photos/", import.meta.url).pathname;
  const files = calibrationFiles([`${dir}rocket.jpg`, `${dir}heldout`]);
  strictEqual(files[0], `${dir}rocket.jpg`);
  strictEqual(files.length, 17);
  deepStrictEqual(files.slice(1), [...files.slice(1)].sort());
  throws(
    () => calibrationFiles(["/nonexistent.png"]),
    (e: Error) =>
      e instanceof UsageError && e.message === "--calibrate /nonexistent.png: no such file or folder",
  );
  const empty = Deno.makeTempDirSync();
  try {
    throws(() => calibrationFiles([empty], "calibrate"), /calibrate .*: the folder holds no image/);
  } finally {
    Deno.removeSync(empty);
  }
});
