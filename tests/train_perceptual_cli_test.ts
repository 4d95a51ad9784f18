/**
 * `tok1d train` with the perceptual loss: without the weight files it stops
 * naming each file (exit 2); with them (here seeded random VGG16 + LPIPS
 * heads in the published files' key layout) the term enters the total with
 * its weight, the networks stay out of checkpoints, and a resumed run
 * reproduces the uninterrupted one.
 */
import { deepStrictEqual, ok } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readSafetensors } from "../core/weights/safetensors.ts";
import { lpipsFiles, run, tmp } from "../cli/_test_run.ts";

const PHOTOS = new URL("./testdata/photos", import.meta.url).pathname;
const base = (out: string) => [
  ...["train", "--model", "titok/tiny_vq", "--data", PHOTOS, "--out", out, "--batch-size", "2"],
  ...["--warmup", "1", "--checkpoint-every", "2", "--threads", "1", "--no-gan", "--json"],
];
const logOf = (out: string) =>
  readFileSync(join(out, "log.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));

Deno.test("cli train: a pixel stage without the perceptual weights stops naming every file, exit 2", async () => {
  const r = await run([...base(tmp()), "--steps", "1"]);
  deepStrictEqual(r.code, 2);
  for (const f of ["vgg16-397923af.pth", "vgg.pth", "convnext_small-0c510722.pth", "--no-perceptual"]) {
    ok(r.err.includes(f), `names ${f}: ${r.err}`);
  }
  const bad = await run([...base(tmp()), "--steps", "1", "--perceptual-weights", "alexnet=a.pth"]);
  deepStrictEqual(bad.code, 2);
  ok(
    /--perceptual-weights: 'alexnet=a.pth' is not <kind>=<file>; kinds are vgg, lpips, convnext/.test(
      bad.err,
    ),
    bad.err,
  );
  const missing = await run([
    ...base(tmp()),
    "--steps",
    "1",
    "--perceptual",
    "lpips",
    "--perceptual-weights",
    "vgg=x",
  ]);
  deepStrictEqual(missing.code, 2);
  ok(/vgg\.pth/.test(missing.err), missing.err);
  const stage1 = await run([
    ...["train", "--model", "titok/tiny", "--stage", "stage1", "--data", PHOTOS, "--out", tmp()],
    ...["--steps", "1", "--perceptual-weight", "0.5"],
  ]);
  deepStrictEqual(stage1.code, 2);
  ok(/--perceptual-weight: stage stage1 has no perceptual loss/.test(stage1.err), stage1.err);
});

Deno.test("cli train: LPIPS term adds with its weight, stays out of checkpoints, resumes exactly", async () => {
  const files = lpipsFiles(tmp());
  const flags = ["--perceptual", "lpips", "--perceptual-weights", files, "--perceptual-weight", "0.7"];
  const full = tmp();
  deepStrictEqual((await run([...base(full), "--steps", "4", ...flags])).code, 0);
  const log = logOf(full);
  deepStrictEqual(log.length, 4);
  for (const l of log) {
    const t = l.terms;
    ok(t.perceptual > 0 && Number.isFinite(t.perceptual), `perceptual ${t.perceptual}`);
    const sum = t.mse + 0.7 * t.perceptual + t.commitment + t.codebook;
    ok(
      Math.abs(l.loss - sum) <= 1e-5 * Math.abs(sum),
      `total ${l.loss} = mse + 0.7·perceptual + vq (${sum})`,
    );
  }
  const keys = [...readSafetensors(join(full, "checkpoint.safetensors")).tensors.keys()];
  ok(
    keys.length > 0 && !keys.some((k) => k.includes("perceptual")),
    "no perceptual weights in the checkpoint",
  );
  const part = tmp();
  deepStrictEqual((await run([...base(part), "--steps", "4", ...flags, "--stop-after", "2"])).code, 0);
  deepStrictEqual((await run([...base(part), "--steps", "4", ...flags, "--resume"])).code, 0);
  deepStrictEqual(logOf(part).map((l) => l.loss), log.map((l) => l.loss));
  const other = await run([...base(part), "--steps", "6", "--no-perceptual", "--resume"]);
  deepStrictEqual(other.code, 2);
  ok(/--resume: .* perceptual loss/.test(other.err), other.err);
});

Deno.test("cli train: every term at once — pixel, LPIPS, VQ with restarts, GAN from step 2", async () => {
  const files = lpipsFiles(tmp());
  const out = tmp();
  const args = [...base(out).filter((a) => a !== "--no-gan"), "--steps", "4", "--perceptual", "lpips"];
  const r = await run([
    ...args,
    "--perceptual-weights",
    files,
    "--discriminator-start",
    "2",
    "--vq-restart",
    "0.5",
  ]);
  deepStrictEqual(r.code, 0, r.err);
  const log = logOf(out);
  deepStrictEqual(log.map((l) => "gan" in l.terms), [false, false, true, true]);
  for (const l of log) {
    const t = l.terms;
    const sum = t.mse + 1.1 * t.perceptual + t.commitment + t.codebook + 0.1 * (t.gan ?? 0);
    ok(
      Math.abs(l.loss - sum) <= 1e-5 * Math.abs(sum),
      `step ${l.step}: total ${l.loss} = sum of weighted terms ${sum}`,
    );
    if (t.gan !== undefined) {
      ok(Number.isFinite(t["d.hinge"]) && Number.isFinite(t["d.lecam"]), JSON.stringify(t));
    }
  }
});
