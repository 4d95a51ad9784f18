/**
 * tok1d's keys of the `alit/small_recipe` CPU recipe (configs/alit/small_recipe.yaml):
 * `default_stage` picks the stage `tok1d train` runs, and
 * `vq_entropy_loss_weight` adds w × the latent VQ's entropy regulariser to
 * the quantiser loss of every stage (its value checked by running the graph
 * with and without it on the same weights and batch). The training steps
 * output their ids, which the collapse monitor reads.
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../../core/graph/graph.ts";
import { randomWeights, Rng } from "../../core/init.ts";
import { Session } from "../../core/runtime/mod.ts";
import type { Tensor } from "../../core/tensor.ts";
import type { AlitConfig } from "./config.ts";
import { alit } from "./mod.ts";
import { alitLoss } from "./train.ts";

const small = () => alit.schema.parse(alit.presets.small_recipe);

Deno.test("alit/small_recipe: trains in stage2 by default; upstream's presets in stage1", () => {
  deepStrictEqual(alit.train!.defaultStage(small()), "stage2");
  deepStrictEqual(alit.train!.defaultStage(alit.schema.parse(alit.presets.tiny_vae)), "stage1");
  deepStrictEqual(small().alit.vq_entropy_loss_weight, 0.05);
});

function feedsOf(shape: Record<string, number[]>, seed: number): Record<string, Tensor> {
  const rng = new Rng(seed);
  const out: Record<string, Tensor> = {};
  for (const [k, s] of Object.entries(shape)) {
    const n = s.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, () => (k === "image" ? rng.next() : rng.normal()));
    out[k] = { dtype: "float32", shape: s, data };
  }
  return out;
}

for (const [stage, variant] of [["stage2", 1], ["stage1", undefined]] as const) {
  const what = stage === "stage2" ? "= total without + w × entropy" : "lower by the summed regularisers";
  Deno.test(`alit/small_recipe ${stage}: total with the entropy weight ${what}; ids (B, L) out`, async () => {
    const run = async (c: AlitConfig) => {
      const g = new Graph(`alit_small_${stage}`);
      const { terms, total, outputs } = alitLoss(c, { stage, batch: 2, variant })(g);
      g.output(total, "total");
      g.output(outputs!.tokens, "tokens");
      if (terms.entropy) g.output(terms.entropy, "entropy");
      const shapes = Object.fromEntries(g.inputs.map((v) => [v.name, v.shape as number[]]));
      const s = await Session.create(g, randomWeights(g.params.values(), 3, "fanin"), { threads: 2 });
      try {
        return await s.run(feedsOf(shapes, 5));
      } finally {
        await s.release();
      }
    };
    const c = small();
    const w = c.alit.vq_entropy_loss_weight!;
    const withIt = await run(c);
    const without = await run({ ...c, alit: { ...c.alit, vq_entropy_loss_weight: 0 } });
    const tokens = withIt.tokens;
    // The last rollout iteration's ids: (k + 1) · 32 of them per image (stage 1 unrolls all 4).
    deepStrictEqual(tokens.shape, [2, 32 * ((variant ?? 3) + 1)]);
    const diff = Number(withIt.total.data[0]) - Number(without.total.data[0]);
    if (stage === "stage2") {
      const expected = w * Number(withIt.entropy.data[0]);
      ok(Math.abs(diff - expected) < 1e-5, `${diff} vs ${expected}`);
      ok(expected < 0, "the regulariser's value (per-token entropy − batch entropy) is negative here");
    } else {
      // Stage 1 sums one regulariser per iteration: a non-zero difference of the same sign.
      ok(diff < 0, `${diff}`);
    }
  });
}
