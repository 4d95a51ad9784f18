/** Resuming refuses a checkpoint written with another gradient accumulation or other crop scales (the batches would not be the same). */
import { throws } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { emptyState, saveCheckpoint } from "./checkpoint.ts";
import { checkResume, type RunMeta } from "./resume.ts";

Deno.test("resume: another --accumulate than the checkpoint's is refused, naming the flag", () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-resume-"));
  try {
    const meta: RunMeta = {
      seed: "0",
      stage: "ae",
      config: "{}",
      configHash: "h",
      data: "d",
      gan: "off",
      perceptual: "off",
      vq_restart: "off",
      accumulate: "4",
    };
    const ckpt = join(dir, "checkpoint.safetensors");
    saveCheckpoint(ckpt, emptyState(meta));
    checkResume(ckpt, meta);
    const { accumulate: _, ...plain } = meta;
    throws(
      () => checkResume(ckpt, plain),
      (e: Error) => e instanceof UsageError && /--accumulate 4/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("resume: other --crop-scales than the checkpoint's are refused; absent means the default", () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-resume-"));
  try {
    const meta: RunMeta = {
      seed: "0",
      stage: "ae",
      config: "{}",
      configHash: "h",
      data: "d",
      gan: "off",
      perceptual: "off",
      vq_restart: "off",
    };
    const ckpt = join(dir, "checkpoint.safetensors");
    saveCheckpoint(ckpt, emptyState(meta));
    checkResume(ckpt, meta);
    throws(
      () => checkResume(ckpt, { ...meta, crop_scales: "1,2,3" }),
      (e: Error) => e instanceof UsageError && /--crop-scales \(default\)/.test(e.message),
    );
    saveCheckpoint(ckpt, emptyState({ ...meta, crop_scales: "1,2,3" }));
    checkResume(ckpt, { ...meta, crop_scales: "1,2,3" });
    throws(
      () => checkResume(ckpt, meta),
      (e: Error) => e instanceof UsageError && /--crop-scales 1,2,3/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
