import { deepStrictEqual, ok, strictEqual } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { Rng } from "../init.ts";
import { multiheadAttention } from "../nn/attention.ts";
import { residualAttentionBlock } from "../nn/vit_block.ts";
import { groupNorm } from "../nn/norm.ts";
import { upsampleConv3x3 } from "../nn/upsample_conv.ts";
import type { Tensor } from "../tensor.ts";
import { fuseRegions } from "./fusion_pass.ts";
import { pruned } from "./prune.ts";
import { Session } from "./session.ts";

const rng = new Rng(5);
const rand = (shape: number[], scale: number): Tensor<"float32"> => ({
  dtype: "float32",
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.normal()),
});

function block(extraOutput = false) {
  const g = new Graph("block");
  const x = g.input("x", "float32", ["batch", 7, 32]);
  const y = g.scope("blk", () => residualAttentionBlock(g, x, 32, 4));
  g.output(y, "y");
  if (extraOutput) {
    // An intermediate of the attention region read outside it: the region must stay as built.
    const softmax = g.nodes.find((n) => n.op === "Softmax")!;
    g.output(g.values.get(softmax.outputs[0])!, "probs");
  }
  const weights = new Map<string, Tensor>(
    [...g.params.values()].map((p) => [p.name, rand(p.shape, p.name.endsWith("weight") ? 0.2 : 0.1)]),
  );
  return { g, weights };
}

Deno.test("fusion pass: attention runs as one MultiHeadAttention kernel with the plain graph's outputs", async () => {
  const { g, weights } = block();
  const fused = fuseRegions(pruned(g), () => true);
  const ops = fused.nodes.map((n) => n.op);
  strictEqual(ops.filter((o) => o === "MultiHeadAttention").length, 1);
  strictEqual(ops.filter((o) => o === "Softmax").length, 0);
  ok(g.nodes.some((n) => n.op === "Softmax"), "the caller's graph keeps its plain attention");
  const x = rand([3, 7, 32], 1);
  const plain = await Session.create(g, weights, { threads: 1, fuse: false });
  const fast = await Session.create(g, weights, { threads: 1 });
  const a = (await plain.run({ x })).y.data as Float32Array;
  const b = (await fast.run({ x })).y.data as Float32Array;
  let worst = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  ok(scale > 0.5 && worst < 2e-6 * scale, `max |Δ| ${worst} of ${scale}`);
  await plain.release();
  await fast.release();
});

Deno.test("fusion pass: a region whose intermediate is read elsewhere, or a refused kind, stays as built", () => {
  const { g } = block(true);
  const live = pruned(g);
  strictEqual(fuseRegions(live, () => true), live);
  const { g: g2 } = block();
  const live2 = pruned(g2);
  strictEqual(fuseRegions(live2, (kind) => kind !== "attention"), live2);
});

Deno.test("fusion pass: two attentions in a row with different head counts both fuse, outputs unchanged", async () => {
  const g = new Graph("two");
  const x = g.input("x", "float32", [2, 5, 16]);
  const h = g.scope("a", () => multiheadAttention(g, x, 16, 2));
  g.output(g.scope("b", () => multiheadAttention(g, h, 16, 4)), "y");
  const weights = new Map<string, Tensor>([...g.params.values()].map((p) => [p.name, rand(p.shape, 0.3)]));
  strictEqual(
    fuseRegions(pruned(g), () => true).nodes.filter((n) => n.op === "MultiHeadAttention").length,
    2,
  );
  const feed = { x: rand([2, 5, 16], 1) };
  const a = (await (await Session.create(g, weights, { threads: 1, fuse: false })).run(feed)).y.data;
  const b = (await (await Session.create(g, weights, { threads: 1 })).run(feed)).y.data;
  for (let i = 0; i < a.length; i++) ok(Math.abs(a[i] as number - (b[i] as number)) < 1e-5, `at ${i}`);
});

Deno.test("fusion pass: GroupNorm's affine as one BatchNormalization pass, same outputs, fixed or symbolic batch", async () => {
  for (const batch of [3, "batch"] as const) {
    const g = new Graph("gn");
    const x = g.input("x", "float32", [batch, 8, 5, 6]);
    g.output(g.scope("norm", () => groupNorm(g, x, 4, 8, 1e-6)), "y");
    const fused = fuseRegions(pruned(g), () => true);
    strictEqual(fused.nodes.filter((n) => n.op === "BatchNormalization").length, 1);
    strictEqual(fused.nodes.filter((n) => n.op === "LayerNormalization").length, 1);
    // No Mul/Add pass over the activation: the only two make the (N·C) zero means and unit variances.
    strictEqual(fused.nodes.filter((n) => n.op === "Mul" || n.op === "Add").length, 2);
    const weights = new Map<string, Tensor>([["norm.weight", rand([8], 1)], ["norm.bias", rand([8], 1)]]);
    const input = rand([3, 8, 5, 6], 2);
    for (let i = 0; i < input.data.length; i++) input.data[i] += 3 + (i % 240 < 120 ? 1 : -2); // offsets per item
    const a =
      (await (await Session.create(g, weights, { threads: 1, fuse: false })).run({ x: input })).y.data;
    const b = (await (await Session.create(g, weights, { threads: 1 })).run({ x: input })).y.data;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
    ok(worst < 2e-5, `batch ${batch}: max |Δ| ${worst}`);
  }
});

Deno.test("fusion pass: the folded upsampling conv as 4 phase convs + DepthToSpace, same outputs", async () => {
  for (const withBias of [true, false]) {
    const g = new Graph("up");
    const x = g.input("x", "float32", [2, 6, 5, 7]);
    g.output(g.scope("up", () => upsampleConv3x3(g, x, 6, 4, { bias: withBias })), "y");
    const fused = fuseRegions(pruned(g), () => true);
    strictEqual(fused.nodes.filter((n) => n.op === "ConvTranspose").length, 0);
    strictEqual(fused.nodes.filter((n) => n.op === "Conv").length, 4);
    const weights = new Map<string, Tensor>([...g.params.values()].map((p) => [p.name, rand(p.shape, 0.5)]));
    const input = rand([2, 6, 5, 7], 1);
    const a = (await (await Session.create(g, weights, { threads: 1, fuse: false })).run({ x: input })).y;
    const b = (await (await Session.create(g, weights, { threads: 1 })).run({ x: input })).y;
    deepStrictEqual(b.shape, [2, 4, 10, 14]);
    let worst = 0;
    for (let i = 0; i < a.data.length; i++) {
      worst = Math.max(worst, Math.abs((a.data[i] as number) - (b.data[i] as number)));
    }
    ok(worst < 1e-5, `bias ${withBias}: max |Δ| ${worst}`);
  }
});
