import { deepStrictEqual, ok, throws } from "node:assert";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { readNpy } from "../data/npy.ts";
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { type FeatureSpec, testFeatures, twoPassStatistics } from "./_test_features.ts";
import { FeatureStatistics, type FidStatistics } from "./fid_stats.ts";
import { frechetDistance } from "./frechet.ts";
import { Float64Kernels } from "./linalg.ts";
import { readNpz } from "./npz.ts";
import { readStatistics, writeStatistics } from "./stats_file.ts";

const DIR = new URL("../../tests/testdata/metrics/frechet/", import.meta.url).pathname;
const EXPECTED = JSON.parse(Deno.readTextFileSync(`${DIR}/expected.json`));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

function maxRel(got: Float64Array, want: ArrayLike<number>): number {
  let err = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return err / scale;
}

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

Deno.test("fid stats: streaming, sharded and one-pass statistics agree to 1e-9; numpy's np.cov too", async () => {
  const spec = EXPECTED.small.a as FeatureSpec;
  const x = testFeatures(spec);
  const onePass = twoPassStatistics(x);
  const numpyMu = readNpy(`${DIR}/small_mu_a.npy`).data as Float64Array;
  const numpySigma = readNpy(`${DIR}/small_sigma_a.npy`).data as Float64Array;
  ok(maxRel(onePass.mu, numpyMu) < 1e-12 && maxRel(onePass.sigma, numpySigma) < 1e-12, "two-pass vs numpy");

  const streamed = await statistics(spec, 7); // 43 uneven batches
  ok(maxRel(streamed.mu, onePass.mu) < 1e-9, "streamed mu");
  ok(maxRel(streamed.sigma, onePass.sigma) < 1e-9, `streamed sigma ${maxRel(streamed.sigma, onePass.sigma)}`);
  deepStrictEqual(streamed.count, 300);

  // Three shards of unequal size, each saved to a file and merged back.
  const dir = mkdtempSync(join(tmpdir(), "tok1d-fid-"));
  const merged = new FeatureStatistics(spec.d);
  for (const [k, [a, b]] of [[0, 120], [120, 121], [121, 300]].entries()) {
    const acc = new FeatureStatistics(spec.d);
    await acc.add(rows(x, a, b));
    await acc.release();
    if (b - a < 2) merged.merge(acc.count, acc.mean, acc.scatter); // a one-image shard has no covariance file
    else {
      writeStatistics(join(dir, `part${k}.npz`), acc.result());
      const back = readStatistics(join(dir, `part${k}.npz`));
      deepStrictEqual(back.count, b - a);
      merged.mergeStatistics({ ...back, count: back.count! });
    }
  }
  const m = merged.result();
  ok(maxRel(m.mu, onePass.mu) < 1e-9 && maxRel(m.sigma, onePass.sigma) < 1e-9, "sharded");
  deepStrictEqual(m.count, 300);
});

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

Deno.test("stats files: pytorch-fid savez_compressed and ADM-style np.savez archives", () => {
  const pf = readStatistics(`${DIR}/small_b_pytorch_fid.npz`);
  deepStrictEqual([pf.mu.length, pf.sigma.length, pf.count], [64, 64 * 64, undefined]);
  const adm = readStatistics(`${DIR}/adm_like.npz`); // also holds arr_0, mu_s, sigma_s
  ok(Math.abs(adm.mu[0] - 0.14428973) < 1e-8 && Math.abs(adm.sigma[1] - -0.25741037) < 1e-8);
  deepStrictEqual(readNpz(`${DIR}/adm_like.npz`, ["arr_0"]).arr_0.shape, [2, 4, 4, 3]);
  throws(
    () => readNpz(`${DIR}/adm_like.npz`, ["nope"]),
    /has no array 'nope' \(it has arr_0, mu, sigma, mu_s, sigma_s\)/,
  );
  throws(() => readStatistics(`${DIR}/missing.npz`), UsageError);
});
