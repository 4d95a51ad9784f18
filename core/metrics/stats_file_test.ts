import { deepStrictEqual, ok, throws } from "node:assert";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { UsageError } from "../errors.ts";
import { readNpz } from "./npz.ts";
import { readStatistics, writeStatistics } from "./stats_file.ts";

const DIR = new URL("../../tests/testdata/metrics/frechet/", import.meta.url).pathname;

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

Deno.test("stats files: tok1d's files round-trip mu, sigma and the image count", () => {
  const path = join(mkdtempSync(join(tmpdir(), "tok1d-stats-")), "s.npz");
  writeStatistics(path, { mu: Float64Array.of(1, 2), sigma: Float64Array.of(1, 0.5, 0.5, 2), count: 12 });
  const back = readStatistics(path);
  deepStrictEqual([[...back.mu], [...back.sigma], back.count], [[1, 2], [1, 0.5, 0.5, 2], 12]);
});
