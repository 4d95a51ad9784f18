import { deepStrictEqual, ok } from "node:assert";
import { degenerateFeatures, featureSpread, MIN_FEATURE_SPREAD } from "./fid_checks.ts";
import { frechetDistance, type Gaussian } from "./frechet.ts";

/** A d-dimensional Gaussian with mean `m` and variance `v` on the diagonal. */
function gaussian(d: number, m: number, v: number): Gaussian {
  const sigma = new Float64Array(d * d);
  for (let i = 0; i < d; i++) sigma[i * d + i] = v;
  return { mu: new Float64Array(d).fill(m), sigma };
}

Deno.test("fid checks: the relative spread is tr Σ / (‖μ‖² + tr Σ); near-constant features are named", () => {
  deepStrictEqual(featureSpread(gaussian(4, 1, 0.25)), 1 / 5); // 4·0.25 / (4 + 1)
  deepStrictEqual(featureSpread(gaussian(4, 1, 0)), 0);
  deepStrictEqual(featureSpread(gaussian(4, 0, 0)), 0); // all-zero features (a dead network)
  const spread = gaussian(4, 1, 0.25), flat = gaussian(4, 2, 1e-9);
  deepStrictEqual(degenerateFeatures(spread, spread), undefined);
  const msg = degenerateFeatures(spread, flat, ["real/", "fake/"])!;
  ok(
    msg.startsWith("the Inception features of fake/ are near-constant (relative variance 2.0e-1 and 2.5e-10"),
    msg,
  );
  ok(msg.includes(`below ${MIN_FEATURE_SPREAD}`) && msg.includes("not meaningful"));
  ok(degenerateFeatures(flat, flat)!.includes("of first and second are near-constant"));
});

Deno.test("fid checks: frechetDistance flags constant features (the FID of 0 is not reported as a result)", async () => {
  const flat = gaussian(8, 0.5, 0);
  const r = await frechetDistance(flat, flat);
  deepStrictEqual(r.fid, 0);
  ok(r.degenerate?.includes("near-constant"));
  const ok2 = await frechetDistance(gaussian(8, 0.5, 0.1), gaussian(8, 0.6, 0.1));
  deepStrictEqual(ok2.degenerate, undefined);
  ok(Math.abs(ok2.fid - 8 * 0.01) < 1e-12, `${ok2.fid}`);
});
