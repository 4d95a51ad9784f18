/**
 * The int8 rewrite: per-channel codes reproduce the weights within half a
 * step; Linear (Gemm, transB) and MatMul weights become DynamicQuantizeMatMul
 * and compute what float32 does within int8 error; convs (when the rule asks)
 * become ConvInteger; nodes made inside `Graph.exact`, computed weights and
 * weights fed at run time stay float32; the caller's graph is untouched.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { conv, matmul } from "../ops/mod.ts";
import { linear } from "../nn/linear.ts";
import { randomWeights, Rng } from "../init.ts";
import type { Tensor } from "../tensor.ts";
import { Session } from "./session.ts";
import { int8Rewrite } from "./int8_pass.ts";
import { quantizeInt8, WeightPool } from "./weight_quant.ts";
import { relError } from "../nn/_parity.ts";

function graph(): Graph {
  const g = new Graph("int8");
  const x = g.input("x", "float32", ["batch", 5, 64]);
  const y = g.scope("fc", () => linear(g, x, 64, 96));
  const m = matmul(g, y, g.scope("proj", () => g.param("weight", [96, 32])));
  const kept = g.exact(() => matmul(g, x, g.scope("codebook", () => g.param("weight", [64, 16]))));
  const img = g.input("img", "float32", ["batch", 16, 8, 8]);
  const c = conv(
    g,
    img,
    g.scope("conv", () => g.param("weight", [32, 16, 3, 3])),
    g.scope("conv", () => g.param("bias", [32])),
    {
      pads: [1, 1, 1, 1],
    },
  );
  g.output(m, "m");
  g.output(kept, "kept");
  g.output(c, "c");
  return g;
}

function inputs(): Record<string, Tensor> {
  const rng = new Rng(3);
  const t = (shape: number[]) => ({
    dtype: "float32" as const,
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()),
  });
  return { x: t([2, 5, 64]), img: t([2, 16, 8, 8]) };
}

Deno.test("int8 codes: per output channel, symmetric, within half a step of the weight; (K, N) for matrices", () => {
  const w: Tensor<"float32"> = {
    dtype: "float32",
    shape: [2, 3],
    data: Float32Array.of(1, -0.5, 0.25, 0, 0, 0),
  };
  const pool = new WeightPool();
  const q = quantizeInt8(pool, w, "out-in");
  pool.finish();
  deepStrictEqual(q.codes().shape, [3, 2]);
  // Row 0's scale is max|w|/127; the all-zero row gets scale 1 (codes 0), not a division by zero.
  deepStrictEqual([...q.scale().data], [Math.fround(1 / 127), 1]);
  deepStrictEqual([...(q.codes().data as Int8Array)], [127, 0, -64, 0, 32, 0]);
  const back = [0, 1, 2].map((k) => (q.codes().data as Int8Array)[k * 2] * q.scale().data[0]);
  back.forEach((v, k) => ok(Math.abs(v - w.data[k]) <= q.scale().data[0] / 2 + 1e-7, `${v} vs ${w.data[k]}`));
});

Deno.test("int8 pass: Linear/MatMul → DynamicQuantizeMatMul, exact nodes float32, outputs within int8 error", async () => {
  const g = graph();
  const before = g.nodes.map((n) => n.op).join();
  const weights = randomWeights([...g.params.values()], 1);
  const r = int8Rewrite(g, weights, { conv: true, minElements: 256 });
  strictEqual(g.nodes.map((n) => n.op).join(), before, "the caller's graph is unchanged");
  const ops = r.graph.nodes.map((n) => n.op);
  strictEqual(ops.filter((o) => o === "DynamicQuantizeMatMul").length, 2, ops.join());
  strictEqual(ops.filter((o) => o === "ConvInteger").length, 1, ops.join());
  // The exact matmul keeps its float32 weight; replaced weights are no longer parameters.
  ok(r.graph.nodes.some((n) => n.op === "MatMul" && n.inputs[1] === "codebook.weight"));
  ok(!r.graph.params.has("fc.weight") && r.graph.params.has("fc.weight::int8_out-in"));
  strictEqual(r.weights.get("fc.weight::int8_out-in")!.dtype, "int8");
  const fp32 = await Session.create(g, weights, { threads: 1 });
  const int8 = await Session.create(g, weights, { threads: 1, precision: "int8", winograd: false });
  try {
    const a = await fp32.run(inputs()), b = await int8.run(inputs());
    deepStrictEqual(b.kept.data, a.kept.data, "the exact matmul is bit-identical");
    // Two int8 layers in a row (weights and activations each ~1/254 of their range per step).
    ok(relError(b.m, a.m) < 0.03, `m: ${relError(b.m, a.m)}`);
    ok(relError(b.m, a.m) > 0, "int8 did change the linear layers");
  } finally {
    await fp32.release();
    await int8.release();
  }
  // The default rule leaves convs float32.
  const defaultRule = int8Rewrite(g, weights);
  ok(!defaultRule.graph.nodes.some((n) => n.op === "ConvInteger"));
});

Deno.test("int8 pass: ConvInteger with per-channel scales and bias matches the float conv", async () => {
  const g = graph();
  const weights = randomWeights([...g.params.values()], 2);
  for (const b of [weights.get("conv.bias")!.data as Float32Array]) {
    b.forEach((_, i) => (b[i] = 0.1 * (i - 16)));
  }
  const r = int8Rewrite(g, weights, { conv: true, minElements: 256 });
  const all = new Map([...weights, ...r.weights]);
  const fp32 = await Session.create(g, weights, { threads: 1, winograd: false });
  const int8 = await Session.create(r.graph, all, { threads: 1, winograd: false });
  try {
    const a = await fp32.run(inputs()), b = await int8.run(inputs());
    ok(relError(b.c, a.c) < 0.02, `conv: ${relError(b.c, a.c)}`);
  } finally {
    await fp32.release();
    await int8.release();
  }
});

Deno.test("int8 pass: no weights, nothing quantized; a computed weight (W·W) stays float32", () => {
  const g = new Graph("fed");
  const x = g.input("x", "float32", [4, 64]);
  const w = g.scope("fc", () => g.param("weight", [64, 64]));
  const y = matmul(g, matmul(g, x, w), matmul(g, w, w));
  g.output(y, "y");
  const r = int8Rewrite(g, new Map());
  strictEqual(r.graph, g, "no weights: nothing to quantize");
  const weights = randomWeights([...g.params.values()], 0);
  const q = int8Rewrite(g, weights);
  // x·W is rewritten; W·W's second operand is a param too, but W·W's product (a computed weight) is not.
  strictEqual(q.graph.nodes.filter((n) => n.op === "DynamicQuantizeMatMul").length, 2);
  ok(q.graph.nodes.some((n) => n.op === "MatMul"));
});
