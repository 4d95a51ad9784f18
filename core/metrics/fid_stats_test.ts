import { deepStrictEqual, ok } from "node:assert";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { readNpy } from "../data/npy.ts";
import type { Tensor } from "../tensor.ts";
import { type FeatureSpec, testFeatures, twoPassStatistics } from "./_test_features.ts";
import { FeatureStatistics } from "./fid_stats.ts";
import { readStatistics, writeStatistics } from "./stats_file.ts";

const DIR = new URL("../../tests/testdata/metrics/frechet/", import.meta.url).pathname;
const EXPECTED = JSON.parse(Deno.readTextFileSync(`${DIR}/expected.json`));

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

async function statistics(spec: FeatureSpec, batch: number) {
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

Deno.test("fid stats: float32 batches, fewer than 2 images and wrong widths", async () => {
  const acc = new FeatureStatistics(2);
  await acc.add({ dtype: "float32", shape: [3, 2], data: Float32Array.of(1, 2, 3, 4, 5, 9) });
  const r = acc.result(); // columns (1,3,5) and (2,4,9): means 3 and 5; variances 4 and 13; covariance 7
  deepStrictEqual([...r.mu], [3, 5]);
  deepStrictEqual([...r.sigma], [4, 7, 7, 13]);
  await acc.release();
  const one = new FeatureStatistics(2);
  one.merge(1, Float64Array.of(1, 1), new Float64Array(4));
  let caught = "";
  try {
    one.result();
  } catch (e) {
    caught = (e as Error).message;
  }
  ok(/at least 2 images/.test(caught), caught);
  try {
    await acc.add({ dtype: "float32", shape: [1, 3], data: new Float32Array(3) });
    ok(false);
  } catch (e) {
    ok(/expected float \(B, 2\)/.test((e as Error).message));
  }
});
