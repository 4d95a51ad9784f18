/**
 * Static int8 convs: uint8 activation parameters hold 0 exactly; a calibrated Conv becomes the QDQ
 * pattern (one QuantizeLinear per activation, int8 per-channel weight, int32 bias) that ORT fuses
 * into QLinearConv, and matches the float conv within int8 error; uncalibrated, exact and computed-
 * weight convs stay float32; the caller's graph is untouched.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { conv } from "../ops/mod.ts";
import { conv2d } from "../nn/conv.ts";
import { silu } from "../nn/activations.ts";
import { randomWeights, Rng } from "../init.ts";
import type { Tensor } from "../tensor.ts";
import { Session } from "./session.ts";
import { int8ConvRewrite, int8Convs, uint8Params } from "./int8_conv_pass.ts";
import { INT8_RULE } from "./int8_pass.ts";
import { upsampleConv3x3 } from "../nn/upsample_conv.ts";
import { fuseRegions } from "./fusion_pass.ts";
import { pruned } from "./prune.ts";
import { calibrate } from "./calibrate.ts";
import { relError } from "../nn/_parity.ts";

Deno.test("uint8 params: the range widened to hold 0, zero point exact", () => {
  deepStrictEqual(uint8Params({ min: -1, max: 1.55 }), { scale: Math.fround(2.55 / 255), zeroPoint: 100 });
  // A positive-only range starts at 0; a constant zero range gets scale 1.
  deepStrictEqual(uint8Params({ min: 2, max: 2.55 }), { scale: Math.fround(2.55 / 255), zeroPoint: 0 });
  deepStrictEqual(uint8Params({ min: 0, max: 0 }), { scale: 1, zeroPoint: 0 });
  const { scale, zeroPoint } = uint8Params({ min: -0.2785, max: 3.1 });
  strictEqual(Math.round(0 / scale) + zeroPoint, zeroPoint, "0 maps to the zero point");
});

/** x → SiLU → conv a (3×3, bias) → conv b (1×1, no bias) and conv c (exact), both reading a's output. */
function twoConvs(): Graph {
  const g = new Graph("convs");
  const x = g.input("x", "float32", [2, 16, 12, 12]);
  const a = g.scope("a", () => conv2d(g, silu(g, x), 16, 128, 3, { padding: "same" }));
  const b = g.scope("b", () => conv2d(g, a, 128, 32, 1, { bias: false }));
  const c = g.exact(() => g.scope("c", () => conv2d(g, a, 128, 8, 1)));
  g.output(b, "b");
  g.output(c, "c");
  return g;
}

function feeds(seed: number): Record<string, Tensor> {
  const rng = new Rng(seed);
  return {
    x: {
      dtype: "float32",
      shape: [2, 16, 12, 12],
      data: Float32Array.from({ length: 2 * 16 * 144 }, () => rng.normal()),
    },
  };
}

Deno.test("int8 conv pass: calibrated convs → QDQ, within int8 error of float32; exact conv untouched", async () => {
  const g = twoConvs();
  const before = g.nodes.map((n) => n.op).join();
  const weights = randomWeights([...g.params.values()], 1, "fanin");
  const bias = weights.get("a.bias")!.data as Float32Array;
  bias.forEach((_, i) => (bias[i] = 0.01 * (i - 64)));
  const ranges = await calibrate(g, weights, [feeds(1), feeds(2)], { threads: 1 });
  const r = int8ConvRewrite(g, weights, ranges);
  strictEqual(g.nodes.map((n) => n.op).join(), before, "the caller's graph is unchanged");
  const ops = r.graph.nodes.map((n) => n.op);
  // a's input and output and b's output each quantized once (b reads a's output: no second Q).
  strictEqual(ops.filter((o) => o === "QuantizeLinear").length, 3, ops.join());
  // Per conv: DQ of x, of W, (of b), of y → a: 4, b: 3.
  strictEqual(ops.filter((o) => o === "DequantizeLinear").length, 7, ops.join());
  strictEqual(ops.filter((o) => o === "Conv").length, 3);
  ok(
    r.graph.nodes.some((n) => n.op === "Conv" && n.inputs[1] === "c.weight"),
    "the exact conv keeps its weight",
  );
  ok(!r.graph.params.has("a.weight") && !r.graph.params.has("a.bias"));
  strictEqual(r.weights.get("a.weight::int8_conv")!.dtype, "int8");
  const biasKey = [...r.weights.keys()].find((k) => k.startsWith("a/") && k.endsWith("::bias_int32"))!;
  const bq = r.weights.get(biasKey)!, bs = r.weights.get(`${biasKey}_scale`)!;
  strictEqual(bq.dtype, "int32");
  // The int32 bias times its scale (s_x·s_w[c]) is the float bias within half a step.
  for (let c = 0; c < 128; c++) {
    const s = (bs.data as Float32Array)[c];
    ok(Math.abs((bq.data as Int32Array)[c] * s - bias[c]) <= s / 2 + 1e-9, `bias ${c}`);
  }
  const fp32 = await Session.create(g, weights, { threads: 1, winograd: false });
  const int8 = await Session.create(r.graph, new Map([...weights, ...r.weights]), { threads: 1 });
  const viaRule = await Session.create(g, weights, {
    threads: 1,
    precision: "int8",
    int8: { conv: false, minElements: 256, ranges },
  });
  try {
    const f = feeds(1), want = await fp32.run(f), got = await int8.run(f), rule = await viaRule.run(f);
    deepStrictEqual(got.c.data.length, want.c.data.length);
    // Two int8 convs in a row, each input and output at 1/255 of its range per step.
    ok(relError(got.b, want.b) < 0.04, `b: ${relError(got.b, want.b)}`);
    ok(relError(got.b, want.b) > 0, "int8 did change the convs");
    ok(relError(got.c, want.c) < 0.02, `c (float conv of an int8 output): ${relError(got.c, want.c)}`);
    deepStrictEqual(rule.b.data, got.b.data, "the precision option runs the same rewrite");
  } finally {
    await fp32.release();
    await int8.release();
    await viaRule.release();
  }
});

Deno.test("int8 conv pass: no range, a small or computed weight → the conv stays float32", () => {
  const g = twoConvs();
  const weights = randomWeights([...g.params.values()], 1, "fanin");
  strictEqual(int8ConvRewrite(g, weights, new Map()).graph, g, "no ranges: nothing rewritten");
  const all = new Map(g.values.keys().map((k) => [k, { min: -1, max: 1 }]));
  strictEqual(int8ConvRewrite(g, weights, all, 1e9).graph, g, "weights under minElements stay");
  const h = new Graph("computed");
  const x = h.input("x", "float32", [1, 4, 8, 8]);
  const w = h.scope("k", () => h.param("weight", [4, 4, 3, 3]));
  const y = conv(h, x, silu(h, w), undefined, { pads: [1, 1, 1, 1] });
  h.output(y, "y");
  const r = int8ConvRewrite(
    h,
    randomWeights([...h.params.values()], 0),
    new Map([[x.name, { min: -1, max: 1 }], ["y", { min: -1, max: 1 }]]),
    1,
  );
  strictEqual(r.graph, h, "a computed weight is not quantized");
});

Deno.test("int8 conv pass: an upsampling conv's phase convs (computed kernels) are folded and quantized", async () => {
  const g = new Graph("up");
  const x = g.input("x", "float32", [1, 32, 8, 8]);
  g.output(g.scope("up", () => upsampleConv3x3(g, silu(g, x), 32, 32)), "y");
  const weights = randomWeights([...g.params.values()], 3, "fanin");
  const fused = fuseRegions(pruned(g), () => true);
  strictEqual(int8Convs(fused, weights).size, 4, "four 2×2 phase convs, kernels computed from up.weight");
  const f = { x: feeds(5).x };
  f.x = { ...f.x, shape: [1, 32, 8, 8], data: (f.x.data as Float32Array).subarray(0, 32 * 64) };
  const ranges = await calibrate(g, weights, [f], { threads: 1 });
  strictEqual(ranges.size, 5, "the shared input and four phase outputs");
  const r = int8ConvRewrite(fused, weights, ranges);
  strictEqual(r.graph.nodes.filter((n) => n.op === "QuantizeLinear").length, 5);
  // The kernels' MatMuls are gone, and with them the float32 weight.
  ok(!r.graph.nodes.some((n) => n.op === "MatMul") && !r.graph.params.has("up.weight"));
  const fp32 = await Session.create(g, weights, { threads: 1 });
  const int8 = await Session.create(g, weights, {
    threads: 1,
    precision: "int8",
    int8: { ...INT8_RULE, ranges },
  });
  try {
    const want = await fp32.run(f), got = await int8.run(f);
    ok(relError(got.y, want.y) < 0.03 && relError(got.y, want.y) > 0, `y: ${relError(got.y, want.y)}`);
  } finally {
    await fp32.release();
    await int8.release();
  }
});
