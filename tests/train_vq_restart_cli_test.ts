/**
 * `tok1d train --vq-restart`: the code-usage EMA is carried in the checkpoint,
 * restart targets are seeded draws, so a resumed run reproduces the
 * uninterrupted one; codebook-less stages refuse the flag.
 */
import { deepStrictEqual, ok } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readSafetensors } from "../core/weights/safetensors.ts";
import { run, tmp } from "../cli/_test_run.ts";

const PHOTOS = new URL("./testdata/photos", import.meta.url).pathname;
const args = (model: string, out: string, extra: string[] = []) => [
  ...["train", "--model", model, "--data", PHOTOS, "--out", out, "--steps", "6", "--batch-size", "2"],
  ...["--lr", "1e-3", "--warmup", "1", "--checkpoint-every", "2", "--threads", "1"],
  ...["--no-perceptual", "--no-gan", "--json", "--vq-restart", "0.5", ...extra],
];
const losses = (out: string) =>
  readFileSync(join(out, "log.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).loss);

Deno.test("cli train --vq-restart: usage EMA checkpointed, codes restarted, resume reproduces the run", async () => {
  const full = tmp();
  deepStrictEqual((await run(args("titok/tiny_vq", full))).code, 0);
  const ckpt = readSafetensors(join(full, "checkpoint.safetensors"));
  const usage = ckpt.tensors.get("carried.quantize.code_usage")!;
  deepStrictEqual(usage.shape, [64]);
  // 16 tokens a step over 64 codes, threshold 0.5: most codes fall below it and are restarted (usage reset to 0.5).
  const u = [...usage.data as Float32Array];
  ok(u.every((v) => v >= 0.5 - 1e-6), `every code is used or was just restarted: ${u}`);
  ok(u.filter((v) => Math.abs(v - 0.5) < 1e-6).length > 32, `restarted codes: ${u}`);
  deepStrictEqual(ckpt.metadata.vq_restart, "0.5");
  const part = tmp();
  deepStrictEqual((await run(args("titok/tiny_vq", part, ["--stop-after", "3"]))).code, 0);
  deepStrictEqual((await run(args("titok/tiny_vq", part, ["--resume"]))).code, 0);
  deepStrictEqual(losses(part), losses(full));
});

Deno.test("cli train --vq-restart: refused where no codebook trains, and for bad thresholds", async () => {
  const vae = await run(args("titok/tiny_vae", tmp()));
  deepStrictEqual(vae.code, 2);
  ok(/--vq-restart: stage single of this model trains no VQ codebook/.test(vae.err), vae.err);
  const bad = await run([...args("titok/tiny_vq", tmp()).slice(0, -1), "zero"]);
  deepStrictEqual(bad.code, 2);
  ok(/--vq-restart: expected a positive usage threshold/.test(bad.err), bad.err);
});
