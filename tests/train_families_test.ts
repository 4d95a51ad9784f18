/**
 * Registry-wide training check: for every family with train hooks, each stage
 * its `tiny` preset can train (a stage whose loss refuses the config, naming
 * the key, is skipped) runs a few steps through {@link trainTokenizer} on the
 * sample photos — fixed seed, helper networks with seeded random weights, no
 * perceptual networks — and its loss falls. A new family is covered by
 * adding it to plugins/mod.ts with configs/<family>/tiny.yaml.
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
const STEPS = 12, BATCH = 2, WINDOW = 3;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Why `stage` cannot train `config`, or undefined when it can. */
function refusal(plugin: Plugin<unknown>, config: unknown, stage: string): string | undefined {
  try {
    plugin.train!.loss(config, { stage, batch: BATCH });
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
}

for (const plugin of Object.values(PLUGINS) as Plugin<unknown>[]) {
  const hooks = plugin.train;
  if (!hooks || !plugin.presets.tiny) continue;
  const config = plugin.schema.parse(plugin.presets.tiny);
  Deno.test(`train ${plugin.name}/tiny: the default stage is one the tiny config trains`, () => {
    const stage = hooks.defaultStage(config);
    ok(!refusal(plugin, config, stage), `${stage}: ${refusal(plugin, config, stage)}`);
  });
  for (const stage of hooks.stages) {
    const why = refusal(plugin, config, stage);
    Deno.test({
      name: `train ${plugin.name}/tiny ${stage}: the loss falls over ${STEPS} steps`,
      ignore: why !== undefined,
      fn: async () => {
        const out = mkdtempSync(join(tmpdir(), `tok1d-family-${plugin.name}-${stage}-`));
        try {
          const { log } = await trainTokenizer({
            model: `${plugin.name}/tiny`,
            stage,
            data: PHOTOS,
            out,
            steps: STEPS,
            batchSize: BATCH,
            lr: 2e-3,
            endLr: 2e-4,
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
          ok(last < 0.8 * first, `${stage}: mean loss of the first ${WINDOW} steps ${first}, last ${last}`);
        } finally {
          rmSync(out, { recursive: true, force: true });
        }
      },
    });
    if (why) console.log(`train ${plugin.name}/tiny ${stage}: skipped (${why})`);
  }
}
