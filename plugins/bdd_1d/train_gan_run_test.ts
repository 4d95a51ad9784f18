/**
 * BDD-1D's PatchGAN in a run: an upstream training checkpoint's
 * `loss.discriminator.*` (tests/testdata/bdd_1d/model.ckpt: ndf 8, one layer)
 * given to `--weights` starts the discriminator; a config whose network has
 * other shapes is refused by key before any training.
 */
import { deepStrictEqual, ok, rejects } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { UsageError } from "../../core/errors.ts";
import { trainTokenizer } from "../../core/train/train.ts";
import { loadCheckpoint } from "../../core/weights/checkpoint.ts";
import { bdd1d } from "./mod.ts";

const PHOTOS = new URL("../../tests/testdata/photos/", import.meta.url).pathname;
const CKPT = new URL("../../tests/testdata/bdd_1d/model.ckpt", import.meta.url).pathname;

/** The tiny config (the checkpoint's discriminator size, or upstream's default) with the GAN from step 1. */
function configFile(dir: string, sized: boolean): string {
  const raw = structuredClone(bdd1d.presets["tiny"]) as {
    model: { params: { loss_config: { params: Record<string, unknown> } } };
  };
  Object.assign(raw.model.params.loss_config.params, { disc_start: 2, warmup_steps: 0 });
  if (!sized) Object.assign(raw.model.params.loss_config.params, { disc_ndf: 64, disc_num_layers: 3 });
  const path = join(dir, sized ? "sized.yaml" : "default.yaml");
  writeFileSync(path, YAML.stringify(raw));
  return path;
}

Deno.test("bdd_1d GAN: --weights <upstream .ckpt> starts the discriminator from its loss.discriminator.*", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-bdd-disc-"));
  try {
    const { state, log } = await trainTokenizer({
      model: configFile(dir, true),
      data: PHOTOS,
      out: join(dir, "run"),
      steps: 2,
      batchSize: 2,
      lr: 0, // nothing moves: the discriminator after its first step is where it started
      weights: [CKPT],
      perceptual: false,
      threads: 2,
      quiet: true,
    });
    deepStrictEqual(
      log.map((l) => l.terms["d.hinge"] !== undefined),
      [false, true],
      "GAN from ⌈2/2⌉ = step 1",
    );
    const ckpt = loadCheckpoint(CKPT).tensors;
    const params = [...state.dParams.keys()];
    deepStrictEqual(params.length, 7);
    for (const k of params) deepStrictEqual(state.dParams.get(k)!.data, ckpt.get(k)!.data, k);
    ok(state.ganState.has("loss.discriminator.main.3.running_mean"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("bdd_1d GAN: a discriminator in --weights with other shapes than the config's is refused by key, before training", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-bdd-disc-"));
  try {
    await rejects(
      trainTokenizer({
        model: configFile(dir, false),
        data: PHOTOS,
        out: join(dir, "run"),
        steps: 2,
        batchSize: 2,
        weights: [CKPT],
        perceptual: false,
        threads: 2,
        quiet: true,
      }),
      (e: Error) =>
        e instanceof UsageError &&
        /loss\.discriminator\.main\.0\.weight has shape \[8,3,4,4\]/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
