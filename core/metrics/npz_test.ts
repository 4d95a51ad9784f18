import { deepStrictEqual, throws } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { UsageError } from "../errors.ts";
import { npzNames, readNpz, writeNpz } from "./npz.ts";

const dir = () => mkdtempSync(join(tmpdir(), "tok1d-npz-"));

Deno.test("npz: write then read selected members (deflate), names in order", () => {
  const path = join(dir(), "a.npz");
  writeNpz(path, {
    mu: { dtype: "float64", shape: [3], data: Float64Array.of(0.5, -1, 2) },
    img: { dtype: "uint8", shape: [2, 2], data: Uint8Array.of(1, 2, 3, 255) },
    n: { dtype: "int64", shape: [], data: BigInt64Array.of(7n) },
  });
  deepStrictEqual(npzNames(path), ["mu", "img", "n"]);
  const { mu, n } = readNpz(path, ["mu", "n"]);
  deepStrictEqual([mu.shape, [...mu.data], n.shape, n.data[0]], [[3], [0.5, -1, 2], [], 7n]);
  deepStrictEqual([...readNpz(path).img.data], [1, 2, 3, 255]);
});

Deno.test("npz: numpy's np.savez layout (ADM reference batches) and damaged files", () => {
  const adm = new URL("../../tests/testdata/metrics/frechet/adm_like.npz", import.meta.url).pathname;
  deepStrictEqual(npzNames(adm), ["arr_0", "mu", "sigma", "mu_s", "sigma_s"]);
  deepStrictEqual(readNpz(adm, ["sigma_s"]).sigma_s.data, Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1));
  const bad = join(dir(), "bad.npz");
  writeFileSync(bad, new Uint8Array(100));
  throws(
    () => readNpz(bad),
    (e: Error) => e instanceof UsageError && /end-of-central-directory/.test(e.message),
  );
  throws(() => readNpz(join(dir(), "missing.npz")), UsageError);
});
