/**
 * Registry-wide training check: for every family with train hooks, each of
 * its stages runs a few steps through {@link trainTokenizer} on the sample
 * photos — fixed seed, helper networks (teachers, …) with seeded random
 * weights, no perceptual networks — and its loss falls. A stage trains on the
 * family's `testPresets` when it declares them (the first that accepts the
 * stage), else on its `tiny` preset, or, where that config refuses the stage (its loss
 * throws a UsageError naming the key), on the first other `tiny*` preset that
 * accepts it; a stage no tiny preset can train fails. A new family is covered
 * by its entry in plugins/mod.ts and its configs/<family>/tiny*.yaml.
 */
import { ok } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../core/errors.ts";
import type { Plugin } from "../core/plugin.ts";
import { trainTokenizer } from "../core/train/train.ts";
import { PLUGINS } from "../plugins/mod.ts";

const PHOTOS = new URL("./testdata/photos", import.meta.url).pathname;
const STEPS = 12, BATCH = 2, WINDOW = 3, FALL = 0.9;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Why `stage` cannot train the preset's config, or undefined when it can. */
function refusal(plugin: Plugin<unknown>, preset: string, stage: string): string | undefined {
  try {
    plugin.train!.loss(plugin.schema.parse(plugin.presets[preset]), { stage, batch: BATCH });
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
}

for (const plugin of Object.values(PLUGINS) as Plugin<unknown>[]) {
  const hooks = plugin.train;
  if (!hooks) continue;
  // The family's declared test presets (ALIT's `tiny` is upstream's alit_tiny), else its tiny* ones.
  const tiny = plugin.testPresets ? [...plugin.testPresets] : Object.keys(plugin.presets)
    .filter((p) => p.startsWith("tiny"))
    .sort((a, b) => a === "tiny" ? -1 : b === "tiny" ? 1 : a.localeCompare(b));
  for (const stage of hooks.stages) {
    const preset = tiny.find((p) => !refusal(plugin, p, stage));
    Deno.test(`train ${plugin.name}/${preset ?? "tiny"} ${stage}: the loss falls over ${STEPS} steps`, async () => {
      ok(
        preset,
        `no tiny preset of ${plugin.name} trains ${stage} (tiny: ${refusal(plugin, "tiny", stage)}); ` +
          `add configs/${plugin.name}/tiny_<name>.yaml`,
      );
      const out = mkdtempSync(join(tmpdir(), `tok1d-family-${plugin.name}-${stage}-`));
      try {
        const { log } = await trainTokenizer({
          model: `${plugin.name}/${preset}`,
          stage,
          data: PHOTOS,
          out,
          steps: STEPS,
          batchSize: BATCH,
          lr: 5e-3,
          endLr: 5e-4,
          warmup: 2,
          seed: 0,
          checkpointEvery: STEPS,
          perceptual: false,
          randomHelpers: true,
          threads: 2,
          quiet: true,
        });
        const losses = log.map((l) => l.loss);
        ok(losses.length === STEPS && losses.every(Number.isFinite), `${losses}`);
        const [first, last] = [mean(losses.slice(0, WINDOW)), mean(losses.slice(-WINDOW))];
        ok(
          last < FALL * first,
          `mean loss of the first ${WINDOW} steps ${first}, of the last ${last}: ${losses}`,
        );
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
}
