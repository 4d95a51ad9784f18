/**
 * The `small` recipes (configs/<family>/small.yaml: tokenizers that train from
 * scratch on a folder of photos on a CPU): a short run of each, with the
 * recipe's optimiser settings but a warm-up scaled to the few steps, lowers
 * the loss, and the trained model still gives different photos different
 * token sequences (no collapse) — and the run raised no warning.
 */
import { ok } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadImages } from "../core/data/batch.ts";
import type { InitScheme } from "../core/init.ts";
import { loadTokenizer } from "../core/tokenizer.ts";
import { trainTokenizer } from "../core/train/train.ts";

const PHOTOS = new URL("./testdata/photos/", import.meta.url).pathname;
const DIFFERENT = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"].map((f) => join(PHOTOS, f));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Each small recipe with the optimiser settings its YAML header gives; `term`: the reconstruction
 * term that must fall where the total also carries an entropy regulariser (which goes negative).
 */
const RECIPES: {
  model: string;
  lr: number;
  init?: InitScheme;
  steps: number;
  batch: number;
  term?: string;
}[] = [
  { model: "titok/small", lr: 2e-3, init: "fanin", steps: 30, batch: 4 },
  { model: "elastictok/small", lr: 1e-3, init: "fanin", steps: 30, batch: 4 },
  { model: "marvel/small", lr: 2e-3, init: "fanin", steps: 30, batch: 4 },
  // Stage 2 from scratch (the config's default_stage): each step trains one of the 4 rollout iterations.
  { model: "alit/small_recipe", lr: 1e-3, init: "fanin", steps: 32, batch: 4, term: "l1" },
  { model: "bdd_1d/small", lr: 1e-3, init: "fanin", steps: 60, batch: 4, term: "l1" },
];

for (const r of RECIPES) {
  Deno.test(`small recipe ${r.model}: ${r.steps} steps on photos lower the loss, tokens stay distinct`, async () => {
    const out = mkdtempSync(join(tmpdir(), "tok1d-small-"));
    try {
      const warnings: string[] = [];
      const { log, model } = await trainTokenizer({
        model: r.model,
        data: PHOTOS,
        out,
        steps: r.steps,
        batchSize: r.batch,
        lr: r.lr,
        endLr: r.lr / 10,
        warmup: 3,
        schedule: "cosine",
        init: r.init,
        seed: 1,
        checkpointEvery: r.steps,
        perceptual: false,
        gan: false,
        threads: 2,
        quiet: true,
        onWarning: (m) => warnings.push(m),
      });
      const value = (l: (typeof log)[number]) => r.term ? l.terms[r.term] : l.loss;
      const first = mean(log.slice(0, 3).map(value)), last = mean(log.slice(-3).map(value));
      ok(last < 0.8 * first, `${r.term ?? "loss"} ${first.toFixed(4)} → ${last.toFixed(4)}`);
      ok(warnings.length === 0, warnings.join("\n"));
      const tok = await loadTokenizer(model, { threads: 2 });
      try {
        const { tokens } = await tok.encode(await loadImages(DIFFERENT, tok.info.imageSize));
        const ids = Array.from(tokens.data as ArrayLike<number | bigint>, String);
        const per = ids.length / DIFFERENT.length;
        const rows = new Set(DIFFERENT.map((_, i) => ids.slice(i * per, (i + 1) * per).join(",")));
        ok(rows.size > 1, `all ${DIFFERENT.length} photos map to one token sequence`);
      } finally {
        await tok.release();
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}
