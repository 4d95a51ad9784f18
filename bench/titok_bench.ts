/**
 * TiTok encode and decode throughput on ONNX Runtime (CPU, 2 intra-op threads),
 * random weights, for the `titok/tiny` and `titok/s128` presets.
 *
 * Every case processes the same 4 images per iteration, either as 4 calls at
 * batch 1 (the group baseline) or as 1 call at batch 4, so images/s = 4 × iter/s
 * and deno bench's group summary reads directly as the batching gain.
 * "encode" is image → tokens + latent; "decode" is latent → image
 * (`decodeLatent`: ViT decoder, softmax-weighted codebook, MaskGIT-VQGAN decoder).
 * Sessions are opened and run once at both batch sizes before any measurement.
 *
 *   deno bench --allow-all bench/titok_bench.ts
 *
 * TOK1D_BENCH_N overrides the iteration count of the s128 cases (default 3; each
 * s128 decode iteration takes several seconds on 2 cores).
 *
 * @module
 */
import { loadTokenizer } from "../core/tokenizer.ts";
import { randomImages, rows } from "./_titok_util.ts";

const THREADS = 2;
const IMAGES = 4;
const sN = Number(Deno.env.get("TOK1D_BENCH_N") ?? "") || 3;
const MODELS: [string, number][] = [["tiny", 50], ["s128", sN]];

for (const [model, n] of MODELS) {
  const tok = await loadTokenizer(`titok/${model}`, {
    random: true,
    seed: 0,
    threads: THREADS,
    batchSize: IMAGES,
  });
  const images = randomImages(IMAGES, tok.info.imageSize);
  const singles = Array.from({ length: IMAGES }, (_, i) => rows(images, i, i + 1));
  // Warm-up: opens the sessions and runs each graph once at batch 4 and at batch 1.
  const latent = (await tok.encode(images)).latent!;
  await tok.encode(singles[0]);
  const latents = Array.from({ length: IMAGES }, (_, i) => rows(latent, i, i + 1));
  await tok.decodeLatent(latent);
  await tok.decodeLatent(latents[0]);

  const opts = { n, warmup: 1 };
  Deno.bench({
    name: `${model} encode, ${IMAGES} images as ${IMAGES} × batch 1`,
    group: `titok/${model} encode`,
    baseline: true,
    ...opts,
    fn: async () => {
      for (const x of singles) await tok.encode(x);
    },
  });
  Deno.bench({
    name: `${model} encode, ${IMAGES} images as 1 × batch ${IMAGES}`,
    group: `titok/${model} encode`,
    ...opts,
    fn: async () => {
      await tok.encode(images);
    },
  });
  Deno.bench({
    name: `${model} decode, ${IMAGES} latents as ${IMAGES} × batch 1`,
    group: `titok/${model} decode`,
    baseline: true,
    ...opts,
    fn: async () => {
      for (const z of latents) await tok.decodeLatent(z);
    },
  });
  Deno.bench({
    name: `${model} decode, ${IMAGES} latents as 1 × batch ${IMAGES}`,
    group: `titok/${model} decode`,
    ...opts,
    fn: async () => {
      await tok.decodeLatent(latent);
    },
  });
}
