/**
 * `tok1d train --stage stage2` over the KL VAE with upstream's loss — L1 + LPIPS (seeded random networks in
 * the published files' layout) + VQ, and the adaptive-weighted PatchGAN term from `--discriminator-start` on,
 * upstream's 8:1 cadence — lowers the loss in a short run. The model is `alit/test_vae` with one rollout
 * iteration: every generator update then trains the same iteration, so their losses compare (with 8, the
 * cadence puts each generator update at a different iteration, 9 steps apart).
 */
import { deepStrictEqual, ok } from "node:assert";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lpipsFiles, run, tmp } from "../../cli/_test_run.ts";

const CONFIGS = new URL("../../configs/alit/", import.meta.url).pathname;
const PHOTOS = new URL("../../tests/testdata/photos/", import.meta.url).pathname;

Deno.test("cli train alit vae stage 2: LPIPS + GAN on, a short run lowers the generator's and the discriminator's losses", async () => {
  const dir = tmp();
  const yaml = readFileSync(join(CONFIGS, "test_vae.yaml"), "utf8");
  ok(/max_rollout_iters: 8/.test(yaml));
  const model = join(dir, "test_vae_1iter.yaml");
  writeFileSync(model, yaml.replace("max_rollout_iters: 8", "max_rollout_iters: 1"));
  const out = join(dir, "run");
  const r = await run([
    ...["train", "--model", model, "--stage", "stage2", "--data", PHOTOS, "--out", out],
    ...["--steps", "12", "--batch-size", "2", "--lr", "2e-3", "--end-lr", "1e-3", "--warmup", "1"],
    ...["--perceptual-weights", lpipsFiles(dir), "--discriminator-start", "3"],
    ...["--checkpoint-every", "12", "--threads", "2", "--json"],
  ]);
  deepStrictEqual(r.code, 0, r.err);
  const log = readFileSync(join(out, "log.jsonl"), "utf8").split("\n").filter(Boolean).map((l) =>
    JSON.parse(l)
  );
  // Steps 1–3 the generator alone; then 8 discriminator updates and one generator update (upstream's cycle).
  const generator = log.filter((l) => l.generator !== false);
  deepStrictEqual(generator.map((l) => l.step), [1, 2, 3, 12]);
  for (const l of generator) {
    const t = l.terms;
    ok(t.l1 > 0 && t.perceptual > 0 && Number.isFinite(l.loss), JSON.stringify(l));
    const gan = "gan" in t ? t.gan * t.gan_weight : 0;
    const sum = t.l1 + t.perceptual + t.quantizer + gan;
    ok(
      Math.abs(l.loss - sum) <= 1e-5 * Math.abs(sum),
      `step ${l.step}: ${l.loss} = L1 + LPIPS + VQ + d·GAN (${sum})`,
    );
  }
  deepStrictEqual(generator.map((l) => "gan" in l.terms), [false, false, false, true]);
  ok(generator.slice(3).every((l) => l.terms.gan_weight > 0), "the adaptive weight is positive");
  const nll = generator.map((l) => l.terms.l1 + l.terms.perceptual);
  ok(nll[3] < 0.8 * nll[0], `L1 + LPIPS at the generator steps: ${nll}`);
  // The cycle's 8 discriminator updates lower its hinge.
  const hinge = log.filter((l) => l.generator === false).map((l) => l.terms["d.hinge"]);
  deepStrictEqual(hinge.length, 8);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  ok(mean(hinge.slice(-4)) < mean(hinge.slice(0, 4)), `the discriminator's hinge: ${hinge}`);
});
