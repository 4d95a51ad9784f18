/**
 * Diagonal Gaussian: parity with TiTok's upstream DiagonalGaussianDistribution
 * (tests/testdata/titok/vae), the last-axis split as ElasticTok uses it, the
 * log-variance clamp and the KL, by hand.
 */
import { deepStrictEqual } from "node:assert";
import { readNpy } from "../data/npy.ts";
import { f32 } from "../ops/mod.ts";
import { gaussianKl, gaussianQuantize } from "./gaussian.ts";
import { near, runGraph } from "./_testutil.ts";

const VAE = new URL("../../tests/testdata/titok/vae/", import.meta.url).pathname;

Deno.test("gaussian: mean, logvar, std, KL, mode and sample match upstream TiTok (channel axis)", async () => {
  const out = await runGraph((g) => {
    const raw = g.input("raw", "float32", [2, 16, 1, 8]);
    const mode = gaussianQuantize(g, raw, { axis: 1 });
    const sample = gaussianQuantize(g, raw, { axis: 1, noise: g.input("noise", "float32", [2, 8, 1, 8]) });
    return {
      mean: mode.mean,
      logvar: mode.logvar,
      std: mode.std,
      mode: mode.quantized,
      sample: sample.quantized,
      kl: gaussianKl(g, mode, [1, 2]),
      kl_loss: mode.losses.kl_loss,
    };
  }, { raw: readNpy(`${VAE}encoder_out.npy`), noise: readNpy(`${VAE}noise.npy`) });
  near(out.mean, readNpy(`${VAE}posterior_mean.npy`), 1e-6, "mean");
  near(out.mode, readNpy(`${VAE}posterior_mean.npy`), 1e-6, "mode");
  near(out.logvar, readNpy(`${VAE}posterior_logvar.npy`), 1e-6, "logvar");
  near(out.std, readNpy(`${VAE}posterior_std.npy`), 1e-6, "std");
  near(out.sample, readNpy(`${VAE}sample.npy`), 1e-6, "sample");
  const kl = readNpy(`${VAE}kl.npy`); // upstream: per sample and token (B, K)
  near(out.kl, kl, 1e-5, "kl");
  const perSample = [0, 1].map((b) =>
    [...(kl.data as Float32Array).slice(b * 8, b * 8 + 8)].reduce((a, v) => a + v)
  );
  near(out.kl_loss, f32([], [(perSample[0] + perSample[1]) / 2]), 1e-5, "kl_loss");
});

Deno.test("gaussian: last-axis split, clamp to [−30, 20] and KL by hand", async () => {
  // Row 0: μ (1, 2), logvar (0, ln 4) → σ (1, 2); KL = ½((1 + 1 − 1 − 0) + (4 + 4 − 1 − ln 4)).
  // Row 1: logvar (50, −50) clamps to (20, −30).
  const out = await runGraph((g) => {
    const q = gaussianQuantize(g, g.input("p", "float32", [2, 4]), { axis: -1 });
    return { mean: q.quantized, logvar: q.logvar, std: q.std, kl: gaussianKl(g, q, [1]) };
  }, { p: f32([2, 4], [1, 2, 0, Math.log(4), 0, 0, 50, -50]) });
  near(out.mean, f32([2, 2], [1, 2, 0, 0]), 0, "mean");
  deepStrictEqual([...out.logvar.data], [0, Math.fround(Math.log(4)), 20, -30]);
  near(out.std, f32([2, 2], [1, 2, Math.exp(10), Math.exp(-15)]), 1e-6, "std");
  const kl1 = 0.5 * ((Math.exp(20) - 1 - 20) + (Math.exp(-30) - 1 + 30));
  near(out.kl, f32([2], [0.5 * (1 + 7 - Math.log(4)), kl1]), 1e-6, "kl");
});
