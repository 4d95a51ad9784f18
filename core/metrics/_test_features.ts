/**
 * Test helper: the reproducible feature sets of tests/testdata/metrics/frechet
 * (`x = U·M + noise·V`, all uniform from the mulberry32 stream of
 * core/init.ts's `Rng`), the same the fixture's Python script builds.
 * @module
 */
import { Rng } from "../init.ts";
import type { Tensor } from "../tensor.ts";

/** Settings of one feature set, as stored in expected.json. */
export interface FeatureSpec {
  n: number;
  d: number;
  k: number;
  seed: number;
  noise: number;
}

function uniform(seed: number, n: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => rng.next());
}

/** The n × d float64 features for a spec. */
export function testFeatures({ n, d, k, seed, noise }: FeatureSpec): Tensor<"float64"> {
  const u = uniform(seed, n * k), m = uniform(seed + 1, k * d), v = uniform(seed + 2, n * d);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += u[i * k + c] * m[c * d + j];
      x[i * d + j] = s + noise * v[i * d + j];
    }
  }
  return { dtype: "float64", shape: [n, d], data: x };
}

/** Mean and covariance in two plain passes (the reference the streaming code must equal). */
export function twoPassStatistics(x: Tensor<"float64">): { mu: Float64Array; sigma: Float64Array } {
  const [n, d] = x.shape;
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += x.data[i * d + j] / n;
  const sigma = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) c[j] = x.data[i * d + j] - mu[j];
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) sigma[a * d + b] += (c[a] * c[b]) / (n - 1);
  }
  return { mu, sigma };
}
