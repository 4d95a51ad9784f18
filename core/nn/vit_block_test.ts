import { ok, strictEqual } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { Rng } from "../init.ts";
import { Session } from "../runtime/session.ts";
import type { Tensor } from "../tensor.ts";
import { slice } from "../ops/mod.ts";
import { transformer } from "./vit_block.ts";

const rng = new Rng(11);
const rand = (shape: number[], scale: number): Tensor<"float32"> => ({
  dtype: "float32",
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.normal()),
});

Deno.test("transformer keepRows: the last block's kept positions equal the full stack's, plain and fused", async () => {
  const build = (keep?: [number, number]) => {
    const g = new Graph("stack");
    const x = g.input("x", "float32", [2, 9, 24]);
    const y = transformer(g, x, 24, 3, 3, keep);
    g.output(keep ? y : slice(g, y, 1, 3, 7), "y");
    return g;
  };
  const full = build(), kept = build([3, 7]);
  strictEqual(kept.outputs[0].shape.join(), "2,4,24");
  const weights = new Map<string, Tensor>(
    [...full.params.values()].map((p) => [p.name, rand(p.shape, p.name.includes("ln_") ? 0.5 : 0.2)]),
  );
  const x = rand([2, 9, 24], 1);
  const want = (await (await Session.create(full, weights, { threads: 1, fuse: false })).run({ x })).y.data;
  for (const fuse of [false, true]) {
    const got = (await (await Session.create(kept, weights, { threads: 1, fuse })).run({ x })).y.data;
    strictEqual(got.length, want.length);
    let worst = 0;
    for (let i = 0; i < got.length; i++) {
      worst = Math.max(worst, Math.abs((got[i] as number) - (want[i] as number)));
    }
    ok(worst < 1e-5, `fuse ${fuse}: max |Δ| ${worst}`);
  }
});
