/**
 * FSQ: parity with ElasticTok's bottleneck maths (re-expressed in numpy,
 * tests/testdata/quantizers/README.md), hand-computed corners, an exact
 * index ↔ code round trip over the whole codebook, and the straight-through gradient.
 */
import { deepStrictEqual } from "node:assert";
import { readFileSync } from "node:fs";
import { gradients } from "../autodiff/grad.ts";
import { readNpy } from "../data/npy.ts";
import { f32, mul, reduceSum, t } from "../ops/mod.ts";
import {
  fsqBasis,
  fsqBound,
  fsqCodebookSize,
  fsqCodesToIndices,
  fsqIndicesToCodes,
  type FsqOptions,
  fsqQuantize,
} from "./fsq.ts";
import { near, runGraph } from "./_testutil.ts";

const DATA = new URL("../../tests/testdata/quantizers/fsq/", import.meta.url).pathname;

Deno.test("fsq: bounded values, codes and indices match ElasticTok's FSQ([8,8,8,5,5,5])", async () => {
  const c = JSON.parse(readFileSync(`${DATA}constants.json`, "utf8"));
  const o: FsqOptions = { levels: c.levels };
  deepStrictEqual(fsqBasis(o), c.basis);
  deepStrictEqual(fsqCodebookSize(o), 64000);
  const out = await runGraph((g) => {
    const z = g.input("z", "float32", [2, 7, 6]);
    const q = fsqQuantize(g, z, o);
    return { bounded: fsqBound(g, z, o), codes: q.quantized, indices: q.indices };
  }, { z: readNpy(`${DATA}z.npy`) });
  near(out.bounded, readNpy(`${DATA}bounded.npy`), 2e-6, "bounded");
  near(out.codes, readNpy(`${DATA}codes.npy`), 0, "codes");
  deepStrictEqual([...out.indices.data], [...readNpy(`${DATA}indices.npy`).data]);
});

Deno.test("fsq: hand-computed corners for levels [3, 4] (odd: no offset; even: offset ½)", async () => {
  // z = 0: L=3 → 0; L=4 → tanh(tan(0.5/1.4985))·1.4985 − 0.5 ≈ −0.0003 → 0 → code 0; digits (1, 2) → 1 + 2·3 = 7.
  // z = +9: (1, round(0.9985) = 1) → codes (1, 0.5), digits (2, 3) → 11. z = −9: (−1, −2) → (−1, −1), index 0.
  const o = { levels: [3, 4] };
  const out = await runGraph((g) => {
    const q = fsqQuantize(g, g.input("z", "float32", [3, 2]), o);
    return { codes: q.quantized, indices: q.indices };
  }, { z: f32([3, 2], [0, 0, 9, 9, -9, -9]) });
  near(out.codes, f32([3, 2], [0, 0, 1, 0.5, -1, -1]), 0, "codes");
  deepStrictEqual([...out.indices.data], [7n, 11n, 0n]);
});

Deno.test("fsq: indices → codes → indices is exact over all 1000 codes of [8,5,5,5]", async () => {
  const o = { levels: [8, 5, 5, 5] };
  const all = t("int64", [1000], [...Array(1000).keys()]);
  const out = await runGraph((g) => {
    const codes = fsqIndicesToCodes(g, g.input("i", "int64", [1000]), o);
    return { codes, back: fsqCodesToIndices(g, codes, o) };
  }, { i: all });
  deepStrictEqual(out.back.data, all.data);
  // Index 1 = digit 1 on the 8-level channel: (1 − 4)/4 = −0.75; the 5-level channels sit at (0 − 2)/2 = −1.
  deepStrictEqual([...out.codes.data.slice(4, 8)], [-0.75, -1, -1, -1]);
  // 8 levels reach −1..0.75 in quarters; 5 levels reach −1..1 in halves.
  const values = new Set(out.codes.data as Float32Array);
  deepStrictEqual([...values].sort((a, b) => a - b), [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1]);
});

Deno.test("fsq: the rounding is straight-through: dq/dz = tanh'(z + shift)·half_l / ⌊L/2⌋", async () => {
  const o = { levels: [5] };
  const z = [0.3, -1.1];
  const out = await runGraph((g) => {
    const q = fsqQuantize(g, g.input("z", "float32", [2, 1]), o);
    return {
      dz: gradients(g, reduceSum(g, mul(g, q.quantized, q.quantized), [0, 1], false), ["z"]).get("z")!,
    };
  }, { z: f32([2, 1], z) });
  const halfL = (4 * 0.999) / 2;
  const want = z.map((v) => {
    const q = Math.round(Math.tanh(v) * halfL) / 2;
    return 2 * q * (1 - Math.tanh(v) ** 2) * halfL / 2;
  });
  near(out.dz, f32([2, 1], want), 1e-6, "d(Σq²)/dz");
});

Deno.test("fsq: indices → codes → indices is exact over all 64,000 codes of ElasticTok's [8,8,8,5,5,5]", async () => {
  const o = { levels: [8, 8, 8, 5, 5, 5] };
  const n = fsqCodebookSize(o);
  deepStrictEqual(n, 64000);
  const all = t("int64", [n], [...Array(n).keys()]);
  const out = await runGraph((g) => {
    const codes = fsqIndicesToCodes(g, g.input("i", "int64", [n]), o);
    return { codes, back: fsqCodesToIndices(g, codes, o) };
  }, { i: all });
  deepStrictEqual(out.back.data, all.data);
  deepStrictEqual(out.codes.shape, [n, 6]);
  // Every code is distinct, and index 64000 − 1 is the top level of every channel: (3/4, 3/4, 3/4, 1, 1, 1).
  const codes = out.codes.data as Float32Array;
  deepStrictEqual(
    new Set(Array.from({ length: n }, (_, i) => codes.subarray(6 * i, 6 * i + 6).join())).size,
    n,
  );
  deepStrictEqual([...codes.subarray(6 * (n - 1))], [0.75, 0.75, 0.75, 1, 1, 1]);
  // Index 1 + 8·2 + 64·7 + 512·0 + 2560·4 + 12800·1: digits (1, 2, 7, 0, 4, 1) → ((d − h)/h) per channel.
  const idx = 1 + 8 * 2 + 64 * 7 + 2560 * 4 + 12800;
  deepStrictEqual([...codes.subarray(6 * idx, 6 * idx + 6)], [-0.75, -0.5, 0.75, -1, 1, -0.5]);
});
