import { deepStrictEqual, ok, rejects } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadImages, toUint8Image } from "../data/batch.ts";
import { writePng } from "../data/png.ts";
import { openImageSource } from "../data/reader.ts";
import { loadTokenizer } from "../tokenizer.ts";
import { evaluateTokenizer } from "./evaluate.ts";

const PHOTOS = new URL("../../tests/testdata/photos/", import.meta.url).pathname;

Deno.test("evaluate: multi-depth tokens give the quality-against-token-count curve (MARVEL, no FID)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-evaluate-"));
  const x = await loadImages([`${PHOTOS}chelsea.png`, `${PHOTOS}coffee.png`], 32);
  for (let i = 0; i < 2; i++) {
    const img = toUint8Image(x, i);
    await writePng(join(dir, `${i}.png`), img.data, img.width, img.height);
  }
  const tok = await loadTokenizer("marvel/tiny", { random: true, threads: 2 });
  const e = await evaluateTokenizer(tok, await openImageSource(dir), { fid: false, samples: 1 });
  await tok.release();
  const depths = tok.info.tokenShape.at(-1)!, k = tok.info.tokenShape.at(-2)!;
  deepStrictEqual(
    e.curve!.map((p) => p.tokensPerImage),
    Array.from({ length: depths }, (_, d) => k * (d + 1)),
  );
  deepStrictEqual([e.images, e.tokensPerImage, e.psnr, e.ssim], [
    2,
    k * depths,
    e.curve!.at(-1)!.psnr,
    e.curve!.at(-1)!.ssim,
  ]);
  deepStrictEqual([e.samples.originals.shape, e.samples.reconstructions.length], [[1, 3, 32, 32], depths]);
  ok(e.rfid === undefined && e.codebook!.tokens === 2 * k * depths && e.protocol.fid === undefined);
});

Deno.test("evaluate: ALIT over its KL VAE (whose encode samples the posterior, as upstream) evaluates; --sample is refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-evaluate-"));
  const x = await loadImages([`${PHOTOS}chelsea.png`, `${PHOTOS}coffee.png`], 64);
  for (let i = 0; i < 2; i++) {
    const img = toUint8Image(x, i);
    await writePng(join(dir, `${i}.png`), img.data, img.width, img.height);
  }
  const tok = await loadTokenizer("alit/small_recipe", { random: true, threads: 2 });
  try {
    const e = await evaluateTokenizer(tok, await openImageSource(dir), { fid: false });
    // One point per rollout budget (32 … 128 ids); the last is the headline.
    deepStrictEqual(e.curve!.map((p) => p.tokensPerImage), [32, 64, 96, 128]);
    ok(Number.isFinite(e.psnr) && e.psnr === e.curve!.at(-1)!.psnr && e.codebook!.tokens === 2 * 128);
  } finally {
    await tok.release();
  }
  const sampled = await loadTokenizer("titok/tiny_vae", { random: true, sample: true, threads: 2 });
  try {
    await rejects(evaluateTokenizer(sampled, await openImageSource(dir), { fid: false }), /drop --sample/);
  } finally {
    await sampled.release();
  }
});
