/**
 * The folded upsample conv equals nearest ×2 upsampling followed by a padded
 * 3×3 conv (same parameters), with and without bias and on non-square
 * inputs; its gradients (input, weight, bias) pass the central-difference
 * check.
 */
import { deepStrictEqual, ok } from "node:assert";
import type { Graph } from "../graph/graph.ts";
import { rnd, upsampleNearest } from "../ops/mod.ts";
import { gradCheck } from "../autodiff/gradcheck.ts";
import { near, runGraph } from "../quantizers/_testutil.ts";
import { conv2d } from "./conv.ts";
import { upsampleConv3x3, upsampleConvWith } from "./upsample_conv.ts";

for (const [n, inC, outC, h, w, bias] of [[2, 3, 5, 4, 6, true], [1, 4, 2, 3, 3, false]] as const) {
  Deno.test(`upsample_conv: equals conv3x3(upsample(x)) for ${n}×${inC}×${h}×${w} → ${outC}, bias ${bias}`, async () => {
    const x = rnd([n, inC, h, w], 1);
    const weights = new Map([["up.weight", rnd([outC, inC, 3, 3], 2)], ["up.bias", rnd([outC], 3)]]);
    if (!bias) weights.delete("up.bias");
    const run = (f: (g: Graph, v: ReturnType<Graph["input"]>) => ReturnType<Graph["input"]>) =>
      runGraph(
        (g) => ({ y: g.scope("up", () => f(g, g.input("x", "float32", [n, inC, h, w]))) }),
        { x },
        weights,
      );
    const want = await run((g, v) => conv2d(g, upsampleNearest(g, v, 2), inC, outC, 3, { padding: 1, bias }));
    const got = await run((g, v) => upsampleConv3x3(g, v, inC, outC, { bias }));
    deepStrictEqual(got.y.shape, [n, outC, 2 * h, 2 * w]);
    near(got.y, want.y, 1e-5, "folded upsample conv");
  });
}

Deno.test("upsample_conv: gradients of input, weight and bias pass the central-difference check", async () => {
  const def = {
    key: "UpsampleConv",
    type: "UpsampleConv",
    emit: (g: Graph, [x, w, b]: never[]) => [upsampleConvWith(g, x, w, b)],
    cases: [],
    vjp: null,
    gradCases: [],
  };
  const r = await gradCheck(def, {
    name: "2→3",
    inputs: [rnd([1, 2, 3, 2], 4), rnd([3, 2, 3, 3], 5), rnd([3], 6)],
  });
  ok(r.relativeError < (r.dtype === "float64" ? 1e-6 : 2e-2), JSON.stringify(r));
});
