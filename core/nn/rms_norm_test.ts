/**
 * RMSNorm: hand-computed values, the Flax/torch parameter names, and the
 * gradient (input and scale) against central differences.
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { f32, rnd } from "../ops/mod.ts";
import { gradCheck } from "../autodiff/gradcheck.ts";
import { near, runGraph } from "../quantizers/_testutil.ts";
import { paramsFrom } from "./dense.ts";
import { rmsNorm } from "./rms_norm.ts";

Deno.test("rms_norm: hand-computed rows (mean of squares 7.5, 6.25 and an all-zero row)", async () => {
  // Row 1: √(7.5 + 1e-6) = 2.7386129…, scaled by (1, 1, 2, 0.5). Row 2: [3, 4, 0, 0] → √6.25 = 2.5.
  const r1 = Math.sqrt(7.5 + 1e-6);
  const r2 = Math.sqrt(6.25 + 1e-6);
  const want = [1 / r1, 2 / r1, 6 / r1, 2 / r1, 3 / r2, 4 / r2, 0, 0, 0, 0, 0, 0];
  const out = await runGraph(
    (g) => ({
      y: g.scope("ln", () => rmsNorm(g, g.input("x", "float32", [3, 4]), 4, 1e-6)),
    }),
    { x: f32([3, 4], [1, 2, 3, 4, 3, 4, 0, 0, 0, 0, 0, 0]) },
    new Map([["ln.kernel", f32([4], [1, 1, 2, 0.5])]]),
  );
  near(out.y, f32([3, 4], want), 1e-6, "rmsNorm");
});

Deno.test("rms_norm: the scale is `kernel` (flax) or `weight` (torch)", () => {
  for (const [layout, name] of [["flax", "n.kernel"], ["torch", "n.weight"]] as const) {
    const g = new Graph("names");
    g.scope("n", () => rmsNorm(g, g.input("x", "float32", [2, 8]), 8, 1e-5, { layout }));
    deepStrictEqual([...g.params.keys()], [name]);
  }
});

Deno.test("rms_norm: gradients of input and scale pass the central-difference check", async () => {
  const def = {
    key: "RMSNorm",
    type: "RMSNorm",
    emit: (g: Graph, [x, w]: never[]) => [rmsNorm(g, x, 6, 1e-5, { param: paramsFrom(g, { kernel: w }) })],
    cases: [],
    vjp: null,
    gradCases: [],
  };
  for (const seed of [1, 2]) {
    const r = await gradCheck(def, { name: "rows", inputs: [rnd([2, 3, 6], seed), rnd([6], seed + 5, 1)] });
    ok(r.relativeError < (r.dtype === "float64" ? 1e-6 : 2e-2), JSON.stringify(r));
  }
});
