import { deepStrictEqual, ok } from "node:assert";
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { type FeatureSpec, testFeatures } from "./_test_features.ts";
import { FeatureStatistics, type FidStatistics } from "./fid_stats.ts";
import { frechetDistance, symmetrise } from "./frechet.ts";
import { Float64Kernels } from "./linalg.ts";

const DIR = new URL("../../tests/testdata/metrics/frechet/", import.meta.url).pathname;
const EXPECTED = JSON.parse(Deno.readTextFileSync(`${DIR}/expected.json`));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

function rows(x: Tensor<"float64">, start: number, end: number): Tensor<"float64"> {
  const d = x.shape[1];
  return { dtype: "float64", shape: [end - start, d], data: x.data.subarray(start * d, end * d) };
}

async function statistics(spec: FeatureSpec, batch = 1 << 30): Promise<FidStatistics> {
  const x = testFeatures(spec);
  const acc = new FeatureStatistics(spec.d, { threads: 2 });
  for (let i = 0; i < spec.n; i += batch) await acc.add(rows(x, i, Math.min(i + batch, spec.n)));
  await acc.release();
  return acc.result();
}

for (const name of ["small", "rank_deficient", "d2048"]) {
  Deno.test(`frechet: equals pytorch-fid's scipy value on the '${name}' feature sets`, async () => {
    const c = EXPECTED[name];
    const [a, b] = [await statistics(c.a, 512), await statistics(c.b, 512)];
    ok(rel(a.sigma.reduce((s, v) => s + v, 0), c.sum_sigma_a) < 1e-9, "sum of sigma");
    const r = await frechetDistance(a, b, { threads: 2 });
    // scipy's sqrtm of a singular product carries round-off the exact value does not: looser there.
    const tol = name === "rank_deficient" ? 1e-6 : 1e-9;
    ok(rel(r.fid, c.fid) < tol, `${name}: ${r.fid} vs ${c.fid} (rel ${rel(r.fid, c.fid)})`);
    deepStrictEqual(r.offset, 0);
  });
}

Deno.test("frechet: symmetrise averages a matrix with its transpose across tile borders", () => {
  const n = 70, data = Float64Array.from({ length: n * n }, (_, i) => i);
  symmetrise({ rows: n, cols: n, data });
  // a[i][j] = i·n + j, so the average is (i·n + j + j·n + i)/2 everywhere.
  for (const [i, j] of [[0, 0], [69, 3], [3, 69], [64, 63], [10, 65]]) {
    deepStrictEqual(data[i * n + j], (i * n + j + j * n + i) / 2);
  }
});

Deno.test("frechet: hand-computed value; mismatched dimensions are a UsageError", async () => {
  const la = new Float64Kernels({ threads: 1 });
  const a = { mu: Float64Array.of(0, 0), sigma: Float64Array.of(1, 0, 0, 1) };
  const b = { mu: Float64Array.of(1, 0), sigma: Float64Array.of(4, 0, 0, 1) };
  // 1 + (2 + 5) − 2·(√4 + √1) = 2
  ok(Math.abs((await frechetDistance(a, b, { kernels: la })).fid - 2) < 1e-12);
  // Identical Gaussians, one singular: distance 0.
  const s = { mu: Float64Array.of(1, 2), sigma: Float64Array.of(1, 1, 1, 1) };
  ok(Math.abs((await frechetDistance(s, s, { kernels: la })).fid) < 1e-7);
  await la.release();
  await (async () => {
    try {
      await frechetDistance(a, { mu: Float64Array.of(0), sigma: Float64Array.of(1) });
      ok(false);
    } catch (e) {
      ok(e instanceof UsageError && /dimensions differ/.test((e as Error).message));
    }
  })();
});
