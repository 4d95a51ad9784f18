/**
 * tux/Flax streaming msgpack `params`: crafted files in ElasticTok's released
 * layout (scanned blocks, bf16, FSQ and VAE bottlenecks) load onto the names
 * of a graph built from core/nn's layers — every tensor mapped, values exact,
 * layers unstacked as views — and malformed or mismatched files are refused
 * naming the key.
 */
import { deepStrictEqual, ok, throws } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode, ExtData } from "@msgpack/msgpack";
import { Graph } from "../graph/graph.ts";
import { UsageError } from "../errors.ts";
import { dense } from "../nn/dense.ts";
import { llamaStack } from "../nn/llama_block.ts";
import { rmsNorm } from "../nn/rms_norm.ts";
import type { Tensor } from "../tensor.ts";
import { flaxName, loadMsgpackParams } from "./flax_params.ts";
import { readMsgpackParams } from "./msgpack_params.ts";
import { elasticTree, record, TINY, writeParamsFile } from "./_msgpack_params_fixture.ts";

/** Parameter shapes of an ElasticTok-shaped graph made of core/nn layers (FSQ: patch 192, codes 6; VAE: 384, 16 → 8). */
function graphShapes(bottleneck: "fsq" | "vae"): Map<string, number[]> {
  const { width: w, hidden, heads, layers } = TINY;
  const [patch, proj, code] = bottleneck === "fsq" ? [192, 6, 6] : [384, 16, 8];
  const o = { width: w, hidden, heads, eps: 1e-5 };
  const g = new Graph("elastic_skeleton");
  const x = g.input("x", "float32", [1, 4, patch]);
  g.scope("encoder", () => {
    g.param("is_kept_embed", [1, w]);
    g.param("is_masked_embed", [1, w]);
    const h = g.scope("in_proj", () => dense(g, x, patch, w));
    const e = g.scope("encoder_blocks", () => llamaStack(g, h, layers, o).out);
    const n = g.scope("ln_f", () => rmsNorm(g, e, w));
    g.scope("pre_quant", () => dense(g, n, w, proj));
  });
  const z = g.input("z", "float32", [1, 4, code]);
  g.scope("decoder", () => {
    const h = g.scope("post_quant", () => dense(g, z, code, w));
    const d = g.scope("decoder_blocks", () => llamaStack(g, h, layers, o).out);
    const n = g.scope("ln_f", () => rmsNorm(g, d, w));
    g.scope("out_proj", () => dense(g, n, w, patch));
  });
  return new Map([...g.params.values()].map((p) => [p.name, p.shape]));
}

const dir = mkdtempSync(join(tmpdir(), "tok1d-msgpack-"));
/** Asserts `fn` throws a UsageError whose message holds every one of `parts`. */
function refused(fn: () => unknown, ...parts: string[]): void {
  throws(fn, (e: Error) => {
    ok(e instanceof UsageError, `not a UsageError: ${e}`);
    for (const p of parts) ok(e.message.includes(p), `"${e.message}" does not mention ${p}`);
    return true;
  });
}

for (const kind of ["fsq", "vae"] as const) {
  Deno.test(`msgpack_params: a ${kind.toUpperCase()} params file (scanned, bf16) maps every tensor onto the graph`, () => {
    const file = join(dir, `${kind}.params`);
    const tree = elasticTree(kind);
    writeParamsFile(file, tree);
    const expected = graphShapes(kind);
    const got = loadMsgpackParams(file, { expected });
    deepStrictEqual([...got.keys()].sort(), [...expected.keys()].sort());
    for (const [path, t] of tree) {
      const stacked = path.includes("scan_decoder");
      const n = stacked ? t.shape[0] : 1;
      const size = t.data.length / n;
      for (let i = 0; i < n; i++) {
        const name = flaxName(path, "scan_decoder", stacked ? i : undefined);
        const g = got.get(name)!;
        deepStrictEqual(g.shape, stacked ? t.shape.slice(1) : t.shape, name);
        deepStrictEqual(g.data, t.data.subarray(i * size, (i + 1) * size), name); // values exact in bf16
      }
    }
    // Layers of one stack are views of one buffer, not copies.
    const a = got.get("decoder.decoder_blocks.0.feed_forward.w1.kernel")!;
    const b = got.get("decoder.decoder_blocks.1.feed_forward.w1.kernel")!;
    ok(a.data.buffer === b.data.buffer && b.data.byteOffset === a.data.byteLength);
  });
}

Deno.test("msgpack_params: the reader streams paths, dtypes and stacked shapes as stored", () => {
  const file = join(dir, "fsq_stream.params");
  writeParamsFile(file, elasticTree("fsq"));
  const seen = [...readMsgpackParams(file)].map((a) => `${a.key} ${a.dtype} [${a.shape}]`);
  deepStrictEqual(seen.length, 26); // 14 encoder + 12 decoder arrays
  deepStrictEqual(seen[0], "encoder/is_kept_embed bfloat16 [1,8]");
  ok(seen.includes("encoder/encoder_blocks/scan_decoder/attention/wq/kernel bfloat16 [2,8,8]"));
  ok(seen.includes("decoder/out_proj/kernel bfloat16 [8,192]"));
});

Deno.test("msgpack_params: a wrong shape is refused by name (a VAE file for an FSQ graph)", () => {
  const file = join(dir, "vae_for_fsq.params");
  writeParamsFile(file, elasticTree("vae"));
  refused(
    () => loadMsgpackParams(file, { expected: graphShapes("fsq") }),
    "encoder.in_proj.kernel",
    "[384, 8]",
    "[192, 8]",
  );
  // One stacked layer of the wrong width is refused under its per-layer name.
  const tree = elasticTree("fsq").map(([p, t]): [string[], Tensor<"float32">] =>
    p.join("/") === "decoder/decoder_blocks/scan_decoder/ffn_norm/kernel"
      ? [p, { ...t, shape: [2, 4, 2] }]
      : [p, t]
  );
  writeParamsFile(file, tree);
  refused(
    () => loadMsgpackParams(file, { expected: graphShapes("fsq") }),
    "decoder.decoder_blocks.0.ffn_norm.kernel",
  );
});

Deno.test("msgpack_params: missing and unexpected keys are reported by name", () => {
  const file = join(dir, "partial.params");
  const tree = elasticTree("fsq").filter(([p]) => p.join("/") !== "decoder/ln_f/kernel");
  tree.push([["decoder", "extra", "kernel"], { dtype: "float32", shape: [2], data: Float32Array.of(1, 2) }]);
  writeParamsFile(file, tree);
  refused(
    () => loadMsgpackParams(file, { expected: graphShapes("fsq") }),
    "missing 1 key",
    "decoder.ln_f.kernel",
    "decoder.extra.kernel",
  );
  const got = loadMsgpackParams(file, {
    expected: new Map([["decoder.extra.kernel", [2]]]),
    allowUnexpected: () => true,
  });
  deepStrictEqual([...got.keys()], ["decoder.extra.kernel"]);
});

Deno.test("msgpack_params: sizes inconsistent with the bytes are refused naming the key", () => {
  const file = join(dir, "bad.params");
  // Shape claims 6 values, the record holds 4 (bf16, 8 bytes).
  const lying = encode(new ExtData(1, encode([[2, 3], "bfloat16", new Uint8Array(8)])));
  writeFileSync(file, record(["encoder", "ln_f", "kernel"], lying));
  refused(() => [...readMsgpackParams(file)], "encoder/ln_f/kernel", "needs 12 bytes", "holds 8");
  // A truncated file: the last record's payload runs past the end.
  writeParamsFile(file, elasticTree("fsq").slice(0, 3));
  writeFileSync(file, readFileSync(file).subarray(0, -10));
  refused(() => [...readMsgpackParams(file)], "encoder/in_proj/kernel", "only");
  // An unknown dtype and a payload that is no array.
  writeFileSync(file, record(["a"], encode(new ExtData(1, encode([[1], "complex64", new Uint8Array(8)])))));
  refused(() => [...readMsgpackParams(file)], "a", "complex64");
  writeFileSync(file, record(["b"], encode("hello")));
  refused(() => [...readMsgpackParams(file)], "b", "not a Flax-serialised array");
  writeFileSync(file, encode({ not: "a record" }));
  refused(() => [...readMsgpackParams(file)], "not a tux streaming msgpack file");
  refused(() => [...readMsgpackParams(join(dir, "absent"))], "absent");
});

Deno.test("msgpack_params: float32 arrays, Flax's chunked form and a trainstate prefix", () => {
  const file = join(dir, "misc.params");
  const t: Tensor<"float32"> = {
    dtype: "float32",
    shape: [2, 3],
    data: Float32Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6),
  };
  const chunk = (v: number[]) =>
    new ExtData(1, encode([[v.length], "float32", new Uint8Array(Float32Array.from(v).buffer)]));
  const chunked = encode({
    __msgpack_chunked_array__: true,
    shape: { "0": 2, "1": 3 },
    chunks: { "0": chunk([0.1, 0.2, 0.3, 0.4]), "1": chunk([0.5, 0.6]) },
  });
  const parts = [
    record(
      ["params", "params", "encoder", "ln_f", "kernel"],
      encode(new ExtData(1, encode([[2, 3], "float32", new Uint8Array(t.data.slice().buffer)]))),
    ),
    record(["params", "params", "decoder", "ln_f", "kernel"], chunked),
    record(
      ["opt_state", "mu", "encoder", "ln_f", "kernel"],
      encode(new ExtData(1, encode([[1], "float32", new Uint8Array(4)]))),
    ),
  ];
  writeFileSync(file, Uint8Array.from(parts.flatMap((p) => [...p])));
  const got = loadMsgpackParams(file, { prefix: ["params", "params"] });
  deepStrictEqual([...got.keys()], ["encoder.ln_f.kernel", "decoder.ln_f.kernel"]);
  deepStrictEqual(got.get("encoder.ln_f.kernel"), t);
  deepStrictEqual(got.get("decoder.ln_f.kernel"), t);
});

Deno.test("msgpack_params: files written by Python's msgpack as tux/Flax do load, byte-identical to the test writer", () => {
  for (const kind of ["fsq", "vae"] as const) {
    const file = new URL(`../../tests/testdata/elastictok/${kind}.params`, import.meta.url).pathname;
    const mine = join(dir, `${kind}.mine.params`);
    writeParamsFile(mine, elasticTree(kind));
    deepStrictEqual(readFileSync(mine), readFileSync(file), `${kind}: bytes`);
    const got = loadMsgpackParams(file, { expected: graphShapes(kind) });
    deepStrictEqual(got.size, graphShapes(kind).size);
    deepStrictEqual(
      got.get("encoder.encoder_blocks.1.attention.wk.kernel")!.data[0],
      (((7 * 64 + 13 * 5) % 61) - 30) / 64,
    );
  }
});

Deno.test("msgpack_params: cleanup", () => rmSync(dir, { recursive: true }));
