/**
 * Evaluation throughput: Inception pool3 features (the FID network, random
 * weights — speed does not depend on them) on 256×256 images resized to 299
 * inside the graph, batch 8, so "iter/s" × 8 is images per second; the
 * streaming statistics of a 50-image batch of 2048-d features; and the
 * Fréchet distance of two 2048-d Gaussians (goal: ≤ 3 s on the 2-core CI
 * machine), split into its stages.
 *
 *   deno bench --allow-read --allow-write --allow-ffi --allow-env --allow-sys bench/metrics_bench.ts
 *
 * @module
 */
import { InceptionFeatures } from "../core/metrics/features.ts";
import { FeatureStatistics, type FidStatistics } from "../core/metrics/fid_stats.ts";
import { frechetDistance } from "../core/metrics/frechet.ts";
import { pivotedCholesky } from "../core/metrics/cholesky.ts";
import { symmetricEigenvalues } from "../core/metrics/eigen.ts";
import { Float64Kernels } from "../core/metrics/linalg.ts";
import { testFeatures } from "../core/metrics/_test_features.ts";
import { Rng } from "../core/init.ts";

const THREADS = Number(Deno.env.get("TOK1D_THREADS") ?? 2);
const rng = new Rng(1);
const images = {
  dtype: "float32" as const,
  shape: [8, 3, 256, 256],
  data: Float32Array.from({ length: 8 * 3 * 256 * 256 }, () => rng.next()),
};
const features = await InceptionFeatures.create("random:0", { threads: THREADS });
const torchFidelity = await InceptionFeatures.create("random:0", {
  threads: THREADS,
  protocol: "torch-fidelity",
});

Deno.bench(
  "Inception pool3 features, 8 images 256² (pytorch-fid front end)",
  { group: "inception" },
  async () => {
    await features.extract(images);
  },
);
Deno.bench(
  "Inception pool3 features, 8 images 256² (torch-fidelity front end)",
  { group: "inception" },
  async () => {
    await torchFidelity.extract(images);
  },
);

const batch = testFeatures({ n: 50, d: 2048, k: 16, seed: 3, noise: 0.5 });
const acc = new FeatureStatistics(2048, { threads: THREADS });
Deno.bench("streaming statistics: one batch of 50 × 2048 features (float64 scatter on ORT + merge)", {
  group: "statistics",
}, async () => {
  await acc.add(batch);
});

async function stats(seed: number): Promise<FidStatistics> {
  const s = new FeatureStatistics(2048, { threads: THREADS });
  await s.add(testFeatures({ n: 2200, d: 2048, k: 16, seed, noise: 0.5 }));
  await s.release();
  return s.result();
}
const [a, b] = [await stats(51), await stats(61)];
const kernels = new Float64Kernels({ threads: THREADS });
const sigmaA = { rows: 2048, cols: 2048, data: a.sigma };

Deno.bench("Fréchet distance, 2048-d (all stages)", { group: "frechet", baseline: true }, async () => {
  await frechetDistance(a, b, { kernels });
});
Deno.bench("  stage: pivoted Cholesky of Σ₁ (2048²)", { group: "frechet" }, async () => {
  await pivotedCholesky(sigmaA, kernels);
});
Deno.bench(
  "  stage: symmetric eigenvalues (2048², band 24 in groups of 8 panels → tridiagonal → QL)",
  { group: "frechet" },
  async () => {
    await symmetricEigenvalues(sigmaA, kernels);
  },
);
