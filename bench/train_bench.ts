/**
 * TiTok single-stage VQ train-step throughput on ONNX Runtime (CPU, 2 intra-op
 * threads): one iteration is one whole step (forward, loss, backward, global-norm
 * clip, AdamW, EMA; the full optimizer state fed in and taken back), for
 * `titok/tiny_vq` (32 px, batch 8) and a TiTok-S-128-shaped single-stage config
 * (256 px, small ViTs, 128 tokens, VQ 4096×12 l2, direct pixel head; batch 2).
 * Seeded weights; the session is opened and one step run before measuring.
 *
 *   deno bench --allow-all bench/train_bench.ts
 *
 * TOK1D_BENCH_N overrides the iteration count of the S-128-shaped case (default
 * 3; each step takes several seconds on 2 cores). bench/compare_train.ts puts the
 * same steps side by side with PyTorch.
 *
 * @module
 */
import { benchWeights, buildBenchStep, Stepper, TRAIN_CONFIGS } from "./_train_util.ts";
import { randomImages } from "./_titok_util.ts";

const THREADS = 2;
const sN = Number(Deno.env.get("TOK1D_BENCH_N") ?? "") || 3;
const CASES: [string, number][] = [["tiny_vq", 30], ["s128_single", sN]];

for (const [key, n] of CASES) {
  const c = TRAIN_CONFIGS[key];
  const step = buildBenchStep(c);
  const stepper = await Stepper.open(step, benchWeights(step, 0), { threads: THREADS });
  const image = randomImages(c.batch, c.config.dataset.preprocessing.crop_size, 7);
  await stepper.run(image); // warm-up: first-run allocations
  Deno.bench({
    name: `${c.name} train step, batch ${c.batch}`,
    n,
    warmup: 1,
    fn: async () => {
      await stepper.run(image);
    },
  });
}
