/**
 * ALIT stage 2 over the KL VAE through the shared trainer with the
 * discriminator switched on early (`discriminator.start` 1): the posterior
 * noise fed each step, the generator step's adaptive GAN weight taken at the
 * VAE decoder's `conv_out.weight`, the VAE among the trained parameters.
 */
import { deepStrictEqual, ok } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trainTokenizer } from "../../core/train/train.ts";

const PHOTOS = new URL("../../tests/testdata/photos/", import.meta.url).pathname;

Deno.test("alit vae stage 2 training: generator, discriminator steps and the adaptive weight at the VAE decoder", async () => {
  const out = mkdtempSync(join(tmpdir(), "tok1d-alit-vae-s2-"));
  try {
    const { log, state } = await trainTokenizer({
      model: "alit/test_vae",
      stage: "stage2",
      data: PHOTOS,
      out,
      steps: 10,
      batchSize: 2,
      lr: 1e-3,
      endLr: 1e-4,
      warmup: 2,
      checkpointEvery: 10,
      perceptual: false,
      discriminator: { start: 1 },
      threads: 2,
      quiet: true,
    });
    deepStrictEqual(log.map((l) => l.variant), [0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    deepStrictEqual(log.map((l) => l.generator !== false), [true, ...Array(8).fill(false), true]);
    ok(log.every((l) => Number.isFinite(l.loss)), `${log.map((l) => l.loss)}`);
    ok(log.slice(1, 9).every((l) => "d.hinge" in l.terms));
    const w = log[9].terms.gan_weight;
    ok(Number.isFinite(w) && w > 0, `adaptive weight ${w}`);
    ok(state.params.has("base_tokenizer.vae.decoder.conv_out.weight"), "the VAE is trained and exported");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
