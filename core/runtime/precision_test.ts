/**
 * `precision`: values and devices are checked with messages naming the flag
 * and the valid values; fp32 is the graph as built (bit-identical outputs);
 * bf16 replaces the heavy ops' weights by their bfloat16 roundings.
 */
import { deepStrictEqual, notDeepStrictEqual, ok, strictEqual, throws } from "node:assert";
import { UsageError } from "../errors.ts";
import { loadTokenizer } from "../tokenizer.ts";
import { Graph } from "../graph/graph.ts";
import { linear } from "../nn/linear.ts";
import { randomWeights } from "../init.ts";
import { applyPrecision, parsePrecision, PRECISIONS } from "./precision.ts";
import { bf16Rewrite } from "./bf16_pass.ts";
import { toBfloat16 } from "./weight_quant.ts";

Deno.test("precision: bad values and devices name the flag, the valid values and what runs where", () => {
  strictEqual(parsePrecision(undefined), "fp32");
  for (const p of ["fp32", "int8", "bf16"]) strictEqual(parsePrecision(p, "cpu"), p);
  strictEqual(parsePrecision("fp16", "cuda"), "fp16");
  strictEqual(parsePrecision("fp16", "tensorrt"), "fp16");
  deepStrictEqual([...PRECISIONS], ["fp32", "bf16", "int8", "fp16"]);
  throws(
    () => parsePrecision("int4", "cpu", "--precision"),
    (e: Error) =>
      e instanceof UsageError &&
      /^--precision: unknown precision 'int4'; use one of fp32, bf16, int8, fp16$/.test(e.message),
  );
  throws(
    () => parsePrecision("fp16", "cpu", "--precision"),
    (e: Error) =>
      e instanceof UsageError &&
      /--precision fp16: runs on --device cuda or tensorrt, not cpu/.test(e.message),
  );
  throws(
    () => parsePrecision("int8", "cuda", "--precision"),
    /--precision int8: runs on --device cpu, not cuda/,
  );
});

Deno.test("precision: the library refuses a bad precision before reading weights", async () => {
  await (async () => {
    try {
      await loadTokenizer("titok/tiny", { random: true, precision: "fp16" });
      ok(false, "fp16 on the CPU was accepted");
    } catch (e) {
      ok(
        e instanceof UsageError &&
          /precision fp16: runs on --device cuda or tensorrt/.test((e as Error).message),
      );
    }
  })();
});

Deno.test("precision fp32: the graph as built; outputs bit-identical to no precision option", async () => {
  const g = new Graph("fp32");
  g.output(g.scope("fc", () => linear(g, g.input("x", "float32", [2, 8]), 8, 4)), "y");
  const w = randomWeights([...g.params.values()], 0);
  const r = applyPrecision(g, w, "fp32");
  strictEqual(r.graph, g);
  strictEqual(r.weights.size, 0);
  const images = {
    dtype: "float32" as const,
    shape: [2, 3, 32, 32],
    data: new Float32Array(2 * 3 * 32 * 32).map((_, i) => (i % 97) / 97),
  };
  const runs = [];
  for (const precision of [undefined, "fp32", "int8"] as const) {
    const tok = await loadTokenizer("titok/tiny", { random: true, threads: 1, precision });
    try {
      runs.push(await tok.reconstruct(images));
    } finally {
      await tok.release();
    }
  }
  deepStrictEqual(runs[1].images.data, runs[0].images.data);
  deepStrictEqual(runs[1].tokens.tokens.data, runs[0].tokens.tokens.data);
  notDeepStrictEqual(runs[2].images.data, runs[0].images.data, "int8 does run a different graph");
});

Deno.test("precision bf16: heavy ops read their weights' bfloat16 roundings, stored float32", () => {
  const g = new Graph("bf16");
  const y = g.scope("fc", () => linear(g, g.input("x", "float32", [2, 8]), 8, 4));
  const kept = g.exact(() => g.scope("exact", () => linear(g, y, 4, 4)));
  g.output(kept, "y");
  const w = randomWeights([...g.params.values()], 0);
  const r = bf16Rewrite(g, w);
  const gemms = r.graph.nodes.filter((n) => n.op === "Gemm");
  deepStrictEqual(gemms.map((n) => n.inputs[1]), ["fc.weight::bf16", "exact.weight"]);
  const src = w.get("fc.weight")!.data as Float32Array;
  const got = r.weights.get("fc.weight::bf16")!.data as Float32Array;
  const half = new Uint16Array(src.length);
  toBfloat16(src, half);
  const bits = new Uint32Array(got.buffer, got.byteOffset, got.length);
  bits.forEach((b, i) => strictEqual(b, half[i] << 16 >>> 0));
  got.forEach((v, i) => ok(Math.abs(v - src[i]) <= Math.abs(src[i]) * 2 ** -8, `${v} vs ${src[i]}`));
  // Round to nearest even at the halfway point; NaN stays NaN.
  const t = new Uint16Array(3);
  toBfloat16(new Float32Array(new Uint32Array([0x3f808000, 0x3f818000, 0x7fc00001]).buffer), t);
  deepStrictEqual([...t], [0x3f80, 0x3f82, 0x7fc0]);
});
