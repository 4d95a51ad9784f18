import { deepStrictEqual, ok } from "node:assert";
import { Rng } from "../init.ts";
import { pivotedCholesky } from "./cholesky.ts";
import { Float64Kernels } from "./linalg.ts";

Deno.test("cholesky: pivoted factor of a rank-deficient covariance reproduces it", async () => {
  const la = new Float64Kernels({ threads: 2 });
  // 5 samples of 12-d features: rank 4 after centring.
  const rng = new Rng(9), n = 12, s = 5;
  const x = Array.from({ length: s }, () => Array.from({ length: n }, () => rng.normal()));
  const mean = Array.from({ length: n }, (_, j) => x.reduce((a, r) => a + r[j], 0) / s);
  const c = new Float64Array(n * n);
  for (const r of x) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) c[i * n + j] += (r[i] - mean[i]) * (r[j] - mean[j]) / (s - 1);
    }
  }
  for (const block of [64, 2]) {
    const { l, rank } = await pivotedCholesky({ rows: n, cols: n, data: c }, la, { block });
    deepStrictEqual(rank, 4);
    let err = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let k = 0; k < rank; k++) v += l.data[i * rank + k] * l.data[j * rank + k];
        err = Math.max(err, Math.abs(v - c[i * n + j]));
      }
    }
    ok(err < 1e-12, `block ${block}: |LLᵀ − C| = ${err}`);
  }
  await la.release();
});
