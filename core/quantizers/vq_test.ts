/**
 * VQ: parity with TiTok's upstream VectorQuantizer (tests/testdata/titok),
 * hand-computed losses in both conventions, straight-through gradients, exact
 * index ↔ code round trips and soft dequantisation.
 */
import { deepStrictEqual, ok } from "node:assert";
import { readFileSync } from "node:fs";
import type { Graph } from "../graph/graph.ts";
import { gradients } from "../autodiff/grad.ts";
import { readNpy } from "../data/npy.ts";
import { f32, mul, reduceSum, t, transpose } from "../ops/mod.ts";
import { readSafetensors } from "../weights/safetensors.ts";
import { near, runGraph, scalarOf } from "./_testutil.ts";
import { vqCodesToIndices, vqIndicesToCodes, type VqOptions, vqQuantize, vqSoftCodes } from "./vq.ts";

const TITOK = new URL("../../tests/testdata/titok/", import.meta.url).pathname;

for (const [name, l2norm, dim] of [["vq_two_stage", true, 12], ["vq_single_stage", false, 16]] as const) {
  Deno.test(`vq: indices, codes and losses match upstream TiTok (${name})`, async () => {
    const dir = `${TITOK}${name}/`;
    const weights = readSafetensors(`${dir}model.safetensors`).tensors;
    const o: VqOptions = { codebookSize: 64, dim, l2norm, commitment: 0.25 };
    const out = await runGraph(
      (g) => {
        const z = transpose(g, g.input("z", "float32", [2, dim, 1, 8]), [0, 2, 3, 1]);
        const q = g.scope("quantize", () => vqQuantize(g, z, o));
        return { indices: q.indices, quantized: transpose(g, q.quantized, [0, 3, 1, 2]), ...q.losses };
      },
      { z: readNpy(`${dir}encoder_out.npy`) },
      new Map([["quantize.embedding.weight", weights.get("quantize.embedding.weight")!]]),
    );
    deepStrictEqual([...out.indices.data], [...readNpy(`${dir}indices.npy`).data]);
    near(out.quantized, readNpy(`${dir}z_quantized.npy`), 1e-6, "z_quantized");
    const want = JSON.parse(readFileSync(`${dir}losses.json`, "utf8"));
    for (const k of ["quantizer_loss", "commitment_loss", "codebook_loss"]) {
      ok(Math.abs(scalarOf(out[k]) - want[k]) <= 1e-6 * want[k], `${k}: ${scalarOf(out[k])} vs ${want[k]}`);
    }
  });
}

const BOOK = f32([3, 2], [0, 0, 1, 0, 0, 2]);
const Z = f32([2, 2], [0.9, 0.1, 0.2, 1.5]);

function small(g: Graph, beta: VqOptions["beta"]) {
  const o: VqOptions = { codebookSize: 3, dim: 2, l2norm: false, commitment: 0.25, beta };
  return vqQuantize(g, g.input("z", "float32", [2, 2]), o);
}

Deno.test("vq: hand-computed losses in both conventions (β on commitment, β on codebook)", async () => {
  // Nearest rows: (0.9,0.1) → (1,0) at distance 0.02; (0.2,1.5) → (0,2) at 0.29 (vs 2.29, 2.89).
  // mean((e − z)²) over 4 entries = (0.01 + 0.01 + 0.04 + 0.25)/4 = 0.0775.
  const w = new Map([["embedding.weight", BOOK]]);
  const cases = [["commitment", 0.019375, 0.0775], ["codebook", 0.0775, 0.019375]] as const;
  for (const [beta, commitment, codebook] of cases) {
    const out = await runGraph(
      (g) => {
        const q = small(g, beta);
        return { indices: q.indices, quantized: q.quantized, ...q.losses };
      },
      { z: Z },
      w,
    );
    deepStrictEqual([...out.indices.data], [1n, 2n]);
    near(out.quantized, f32([2, 2], [1, 0, 0, 2]), 1e-7, "quantized");
    near(out.commitment_loss, f32([], [commitment]), 1e-6, `${beta}: commitment`);
    near(out.codebook_loss, f32([], [codebook]), 1e-6, `${beta}: codebook`);
    near(out.quantizer_loss, f32([], [0.096875]), 1e-6, `${beta}: total`);
  }
});

Deno.test("vq: straight-through passes dL/dq to z; the codebook term reaches only the chosen rows", async () => {
  const w = new Map([["embedding.weight", BOOK]]);
  const out = await runGraph(
    (g) => {
      const q = small(g, "commitment");
      // L = Σ q·c with c = [1,2,3,4] → dL/dz = c (straight-through), whatever the codes.
      const c = g.constant(f32([2, 2], [1, 2, 3, 4]), "c");
      const dz = gradients(g, reduceSum(g, mul(g, q.quantized, c), [0, 1], false), ["z"]).get("z")!;
      const grads = gradients(g, q.losses.codebook_loss, ["embedding.weight"]);
      return { dz, de: grads.get("embedding.weight")! };
    },
    { z: Z },
    w,
  );
  near(out.dz, f32([2, 2], [1, 2, 3, 4]), 1e-6, "dL/dz");
  // d/de mean((e_k − z)²) = 2(e_k − z)/4 at the selected rows 1 and 2; row 0 unused.
  near(out.de, f32([3, 2], [0, 0, 0.05, -0.05, -0.1, 0.25]), 1e-6, "d codebook_loss / d codebook");
});

Deno.test("vq: indices → codes → indices is exact for every codebook row (with and without l2)", async () => {
  const n = 16;
  const book = f32([n, 3], Array.from({ length: n * 3 }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 5))));
  for (const l2norm of [false, true]) {
    const o: VqOptions = { codebookSize: n, dim: 3, l2norm, commitment: 0.25 };
    const out = await runGraph(
      (g) => {
        const idx = g.input("idx", "int64", [n]);
        return { back: vqCodesToIndices(g, vqIndicesToCodes(g, idx, o), o) };
      },
      { idx: t("int64", [n], [...Array(n).keys()].reverse()) },
      new Map([["embedding.weight", book]]),
    );
    deepStrictEqual([...out.back.data].map(Number), [...Array(n).keys()].reverse(), `l2norm ${l2norm}`);
  }
});

Deno.test("vq: soft codes = softmax(logits)·codebook, on the last axis or the channel axis", async () => {
  const out = await runGraph((g) => {
    const book = g.constant(f32([2, 3], [1, 0, 2, 0, 1, -2]), "book");
    const last = vqSoftCodes(g, g.input("l", "float32", [1, 2]), book);
    const channel = vqSoftCodes(g, g.input("c", "float32", [1, 2, 1, 2]), book, 1);
    return { last, channel };
  }, {
    l: f32([1, 2], [0, Math.log(3)]), // p = (1/4, 3/4)
    c: f32([1, 2, 1, 2], [0, 0, Math.log(3), 0]), // position 0: p = (1/4, 3/4); position 1: (1/2, 1/2)
  });
  near(out.last, f32([1, 3], [0.25, 0.75, -1]), 1e-6, "last axis");
  near(out.channel, f32([1, 3, 1, 2], [0.25, 0.5, 0.75, 0.5, -1, 0]), 1e-6, "channel axis");
});
