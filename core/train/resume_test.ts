/** Resuming refuses a checkpoint written with another gradient accumulation or other crop scales (the batches would not be the same). */
import { throws } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { emptyState, saveCheckpoint } from "./checkpoint.ts";
import { checkResume, type RunMeta } from "./resume.ts";

const META: RunMeta = {
  seed: "0",
  stage: "ae",
  config: "{}",
  configHash: "h",
  data: "d",
  gan: "off",
  perceptual: "off",
  vq_restart: "off",
};

/** Runs `check` with a checkpoint path in a fresh folder, removed afterwards. */
function inRunFolder(check: (ckpt: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-resume-"));
  try {
    check(join(dir, "checkpoint.safetensors"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

Deno.test("resume: another --accumulate than the checkpoint's is refused, naming the flag", () => {
  inRunFolder((ckpt) => {
    const meta = { ...META, accumulate: "4" };
    saveCheckpoint(ckpt, emptyState(meta));
    checkResume(ckpt, meta);
    throws(
      () => checkResume(ckpt, META),
      (e: Error) => e instanceof UsageError && /--accumulate 4/.test(e.message),
    );
  });
});

Deno.test("resume: other --crop-scales than the checkpoint's are refused; absent means the default", () => {
  inRunFolder((ckpt) => {
    saveCheckpoint(ckpt, emptyState(META));
    checkResume(ckpt, META);
    throws(
      () => checkResume(ckpt, { ...META, crop_scales: "1,2,3" }),
      (e: Error) => e instanceof UsageError && /--crop-scales \(default\)/.test(e.message),
    );
    saveCheckpoint(ckpt, emptyState({ ...META, crop_scales: "1,2,3" }));
    checkResume(ckpt, { ...META, crop_scales: "1,2,3" });
    throws(
      () => checkResume(ckpt, META),
      (e: Error) => e instanceof UsageError && /--crop-scales 1,2,3/.test(e.message),
    );
  });
});
