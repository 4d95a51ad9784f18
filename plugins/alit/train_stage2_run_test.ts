/**
 * ALIT stage 2 through the shared trainer with the discriminator switched on
 * early (`discriminator.start` 1): upstream's cadence — the generator alone
 * before the start, then per 9 steps 8 discriminator-only steps and one
 * generator step, the iteration moving on after each generator update — one
 * discriminator per iteration with its BatchNorm statistics carried, and a
 * run stopped before a cycle's generator step resuming to the same log.
 */
import { deepStrictEqual, ok } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trainTokenizer } from "../../core/train/train.ts";

const PHOTOS = new URL("../../tests/testdata/photos/", import.meta.url).pathname;
const run = (out: string, extra: Record<string, unknown> = {}) =>
  trainTokenizer({
    model: "alit/test_vqgan",
    stage: "stage2",
    data: PHOTOS,
    out,
    steps: 10,
    batchSize: 2,
    lr: 1e-3,
    endLr: 1e-4,
    warmup: 2,
    checkpointEvery: 4,
    perceptual: false,
    discriminator: { start: 1 },
    threads: 2,
    quiet: true,
    ...extra,
  });

Deno.test("alit stage 2 training: upstream's 8:1 discriminator cadence per iteration, per-iteration PatchGANs, resumable", async () => {
  const a = mkdtempSync(join(tmpdir(), "tok1d-alit-s2-"));
  const b = mkdtempSync(join(tmpdir(), "tok1d-alit-s2-"));
  try {
    const { log, state } = await run(a);
    // Step 0: the generator at iteration 0. Steps 1–8: D₁ only. Step 9: the generator at iteration 1.
    deepStrictEqual(log.map((l) => l.variant), [0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    deepStrictEqual(log.map((l) => l.generator !== false), [true, ...Array(8).fill(false), true]);
    ok(log.every((l) => Number.isFinite(l.loss)));
    ok(log.slice(1, 9).every((l) => "d.hinge" in l.terms && !("l1" in l.terms)));
    ok("gan" in log[9].terms && "gan_weight" in log[9].terms && !("d.hinge" in log[9].terms));
    ok(log[9].terms.gan_weight > 0, `adaptive weight ${log[9].terms.gan_weight}`);
    const dNames = [...state.dParams.keys()];
    ok(dNames.every((n) => /^gan_losses\.1\.discriminator\.main\./.test(n)) && dNames.length === 13);
    deepStrictEqual(Number(state.ganState.get("updates.1")!.data[0]), 8);
    const rm = state.ganState.get("gan_losses.1.discriminator.main.3.running_mean")!.data as Float32Array;
    ok(rm.some((v) => v !== 0), "running statistics moved");
    // Stopped after the discriminator steps and resumed for the generator's: the same losses.
    await run(b, { stopAfter: 9 });
    const resumed = await run(b, { resume: true });
    deepStrictEqual(resumed.log.map((l) => l.loss), log.map((l) => l.loss));
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});
