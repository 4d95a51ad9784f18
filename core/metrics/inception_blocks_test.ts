import { ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { Session } from "../runtime/mod.ts";
import { basicConv, BN_EPS } from "./inception_blocks.ts";

Deno.test("inception blocks: BasicConv2d = conv (no bias) → batch norm on running stats (eps 1e-3) → ReLU", async () => {
  const g = new Graph("basic");
  const x = g.input("x", "float32", [1, 1, 2, 2]);
  g.output(basicConv(g, x, "c", 1, 2, { kernel: 1 }), "y");
  const f = (v: number[]) => ({ dtype: "float32" as const, shape: [v.length], data: Float32Array.from(v) });
  const weights = new Map([
    ["c.conv.weight", { dtype: "float32" as const, shape: [2, 1, 1, 1], data: Float32Array.of(2, -1) }],
    ["c.bn.weight", f([1, 0.5])],
    ["c.bn.bias", f([0.1, 0])],
    ["c.bn.running_mean", f([1, 0])],
    ["c.bn.running_var", f([4, 1])],
  ]);
  const s = await Session.create(g, weights, { threads: 1 });
  const { y } = await s.run({
    x: { dtype: "float32", shape: [1, 1, 2, 2], data: Float32Array.of(1, 2, -1, 0.5) },
  });
  await s.release();
  const bn = (v: number, w: number, b: number, m: number, s2: number) =>
    Math.max(0, ((v - m) / Math.sqrt(s2 + BN_EPS)) * w + b);
  const want = [
    ...[1, 2, -1, 0.5].map((v) => bn(2 * v, 1, 0.1, 1, 4)),
    ...[1, 2, -1, 0.5].map((v) => bn(-v, 0.5, 0, 0, 1)),
  ];
  want.forEach((w, i) =>
    ok(Math.abs((y.data as Float32Array)[i] - w) < 1e-6, `y[${i}] ${y.data[i]} vs ${w}`)
  );
});
