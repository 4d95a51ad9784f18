/**
 * Multi-depth LFQ: parity with MARVEL's `LookupFreeQuantizer` (PadrickLeee/MDQ,
 * tests/testdata/quantizers/README.md) at depths 1–4, a hand-computed case,
 * exact index ↔ code round trips over every code, depth prefixes and the
 * straight-through gradient.
 */
import { deepStrictEqual, ok } from "node:assert";
import { readFileSync } from "node:fs";
import { gradients } from "../autodiff/grad.ts";
import { readNpy } from "../data/npy.ts";
import { f32, mul, reduceSum, t, transpose } from "../ops/mod.ts";
import { near, runGraph, scalarOf } from "./_testutil.ts";
import { lfqCodebook, lfqCodesToIndices, lfqIndicesToCodes, type LfqOptions, lfqQuantize } from "./lfq.ts";

const DATA = new URL("../../tests/testdata/quantizers/lfq/", import.meta.url).pathname;
const LOSSES = JSON.parse(readFileSync(`${DATA}losses.json`, "utf8"));
const opts = (name: string): LfqOptions => {
  const v = LOSSES[name];
  return {
    bits: 5,
    depth: v.depth,
    commitment: 0.25,
    entropyWeight: v.w,
    temperature: v.t,
    gamma: v.gamma,
    entropy: true,
  };
};

for (const name of ["d1", "d2", "d3", "d4", "d2_gamma"]) {
  Deno.test(`lfq: codes, indices and losses match MDQ's LookupFreeQuantizer (${name})`, async () => {
    const o = opts(name);
    const out = await runGraph((g) => {
      const z = transpose(g, g.input("z", "float32", [2, 5, 1, 6]), [0, 2, 3, 1]);
      const q = lfqQuantize(g, z, o);
      return { indices: q.indices, quantized: transpose(g, q.quantized, [0, 3, 1, 2]), ...q.losses };
    }, { z: readNpy(`${DATA}z.npy`) });
    const depth = `d${o.depth}`;
    deepStrictEqual(out.indices.shape, [2, 1, 6, o.depth]);
    deepStrictEqual([...out.indices.data], [...readNpy(`${DATA}indices_${depth}.npy`).data]);
    near(out.quantized, readNpy(`${DATA}quantized_${depth}.npy`), 1e-6, "quantized");
    for (
      const k of ["quantizer_loss", "commitment_loss", "entropy_loss", "per_sample_entropy", "avg_entropy"]
    ) {
      const want = LOSSES[name][k];
      ok(
        Math.abs(scalarOf(out[k]) - want) <= 2e-5 * Math.abs(want) + 1e-7,
        `${k}: ${scalarOf(out[k])} vs ${want}`,
      );
    }
  });
}

Deno.test("lfq: indices → codes equals upstream's get_codebook_entry scaled by 2^-d and summed", async () => {
  for (const d of [1, 2, 3, 4]) {
    const bits = readNpy(`${DATA}bits_d${d}.npy`); // (2,1,6,d,5) ±1
    const idx = readNpy(`${DATA}indices_d${d}.npy`);
    const out = await runGraph((g) => ({
      codes: lfqIndicesToCodes(g, g.input("i", "int64", [2, 1, 6, d]), { bits: 5 }),
    }), { i: idx });
    const want = new Float32Array(2 * 6 * 5);
    for (let p = 0; p < 12; p++) {
      for (let k = 0; k < d; k++) {
        for (let c = 0; c < 5; c++) want[p * 5 + c] += bits.data[(p * d + k) * 5 + c] as number * 2 ** -k;
      }
    }
    near(out.codes, f32([2, 1, 6, 5], [...want]), 0, `depth ${d}`);
  }
});

Deno.test("lfq: hand-computed two-depth case, sign(0) = −1, and prefixes marked by −1", async () => {
  // z = (0.3, −0.7, 0): depth 0 → (+1, −1, −1), index 0b001 = 1; residual (−0.7, 0.3, 1)
  // → depth 1 (−½, +½, +½), index 0b110 = 6; code (0.5, −0.5, −0.5).
  const o = { bits: 3, depth: 2, commitment: 0.25, entropyWeight: 0.02, temperature: 0.01, gamma: 1 };
  const out = await runGraph((g) => {
    const q = lfqQuantize(g, g.input("z", "float32", [1, 3]), o);
    const prefix = lfqIndicesToCodes(g, g.input("p", "int64", [2, 2]), o);
    return { indices: q.indices, quantized: q.quantized, commitment: q.losses.commitment_loss, prefix };
  }, { z: f32([1, 3], [0.3, -0.7, 0]), p: t("int64", [2, 2], [1, 6, 1, -1]) });
  deepStrictEqual([...out.indices.data], [1n, 6n]);
  near(out.quantized, f32([1, 3], [0.5, -0.5, -0.5]), 1e-7, "code");
  // 0.25·(mean((q0 − z)²) + mean((q1 − r1)²))/2 = 0.25·(((0.49 + 0.09 + 1)/3) + ((0.04 + 0.04 + 0.25)/3))/2
  near(out.commitment, f32([], [0.25 * ((1.58 / 3 + 0.33 / 3) / 2)]), 1e-6, "commitment");
  near(out.prefix, f32([2, 3], [0.5, -0.5, -0.5, 1, -1, -1]), 0, "full depth, then depth 0 only");
});

Deno.test("lfq: indices → codes → indices is exact for every combination of 3 bits × 3 depths", async () => {
  const n = 8 ** 3;
  const idx = t(
    "int64",
    [n, 3],
    Array.from({ length: n * 3 }, (_, i) => Math.floor(Math.floor(i / 3) / 8 ** (i % 3)) % 8),
  );
  const out = await runGraph((g) => {
    const o = { bits: 3, depth: 3 };
    return { back: lfqCodesToIndices(g, lfqIndicesToCodes(g, g.input("i", "int64", [n, 3]), o), o) };
  }, { i: idx });
  deepStrictEqual(out.back.data, idx.data);
});

Deno.test("lfq: the straight-through output passes dL/dq to z unchanged", async () => {
  const o = { bits: 2, depth: 2, commitment: 0.25, entropyWeight: 0.02, temperature: 0.01, gamma: 1 };
  const out = await runGraph((g) => {
    const q = lfqQuantize(g, g.input("z", "float32", [2, 2]), o);
    const c = g.constant(f32([2, 2], [1, -2, 3, 0.5]), "c");
    return { dz: gradients(g, reduceSum(g, mul(g, q.quantized, c), [0, 1], false), ["z"]).get("z")! };
  }, { z: f32([2, 2], [0.2, -1.3, 0.7, 0.01]) });
  near(out.dz, f32([2, 2], [1, -2, 3, 0.5]), 1e-7, "dL/dz");
});

Deno.test("lfq: the implicit codebook puts bit i of entry k on channel i (LSB first)", () => {
  deepStrictEqual([...lfqCodebook(2)], [-1, -1, 1, -1, -1, 1, 1, 1]);
});
