/**
 * SwiGLU: a hand-computed case, torch layout = transposed Flax layout, and
 * gradients of the input and all three matrices against central differences.
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { f32, rnd } from "../ops/mod.ts";
import { gradCheck } from "../autodiff/gradcheck.ts";
import { near, runGraph } from "../quantizers/_testutil.ts";
import { paramsFrom } from "./dense.ts";
import { swiglu } from "./swiglu.ts";

// x = (1, −1); W₁ = I → gate (1, −1); W₃ = 2I → up (2, −2); SiLU(1) = 0.7310586, SiLU(−1) = −0.2689414
// → h = (1.4621172, 0.5378828); W₂ = [[1, 1], [1, −1]] → y = (h₀ + h₁, h₀ − h₁) = (2, 0.9242344).
const KERNELS = {
  "ff.w1.kernel": f32([2, 2], [1, 0, 0, 1]),
  "ff.w3.kernel": f32([2, 2], [2, 0, 0, 2]),
  "ff.w2.kernel": f32([2, 2], [1, 1, 1, -1]),
};

Deno.test("swiglu: W₂(SiLU(W₁x) ⊙ W₃x) by hand", async () => {
  const out = await runGraph(
    (g) => ({ y: g.scope("ff", () => swiglu(g, g.input("x", "float32", [1, 2]), 2, 2)) }),
    { x: f32([1, 2], [1, -1]) },
    new Map(Object.entries(KERNELS)),
  );
  // h₀ + h₁ = 2σ(1) + 2σ(−1) = 2 and h₀ − h₁ = 2(2σ(1) − 1) = 2·tanh(½).
  near(out.y, f32([1, 2], [2, 2 * Math.tanh(0.5)]), 1e-6, "y");
});

Deno.test("swiglu: torch layout takes (out, in) weights and gives the same output", async () => {
  const x = rnd([2, 3, 4], 3);
  const [k1, k2, k3] = [rnd([4, 6], 4), rnd([6, 4], 5), rnd([4, 6], 6)];
  const tr = (t: typeof k1) => {
    const [r, c] = t.shape;
    return f32(
      [c, r],
      Array.from({ length: r * c }, (_, i) => t.data[(i % r) * c + Math.floor(i / r)] as number),
    );
  };
  const flax = await runGraph(
    (g) => ({ y: g.scope("f", () => swiglu(g, g.input("x", "float32", [2, 3, 4]), 4, 6)) }),
    {
      x,
    },
    new Map([["f.w1.kernel", k1], ["f.w2.kernel", k2], ["f.w3.kernel", k3]]),
  );
  const torch = await runGraph(
    (g) => ({
      y: g.scope("f", () => swiglu(g, g.input("x", "float32", [2, 3, 4]), 4, 6, { layout: "torch" })),
    }),
    { x },
    new Map([["f.w1.weight", tr(k1)], ["f.w2.weight", tr(k2)], ["f.w3.weight", tr(k3)]]),
  );
  near(torch.y, flax.y, 1e-6, "torch vs flax");
  const g = new Graph("names");
  g.scope("f", () => swiglu(g, g.input("x", "float32", [1, 4]), 4, 6, { layout: "torch" }));
  deepStrictEqual([...g.params.entries()].map(([k, p]) => `${k}${JSON.stringify(p.shape)}`), [
    "f.w1.weight[6,4]",
    "f.w3.weight[6,4]",
    "f.w2.weight[4,6]",
  ]);
});

Deno.test("swiglu: gradients of x, w1, w2, w3 pass the central-difference check", async () => {
  const def = {
    key: "SwiGLU",
    type: "SwiGLU",
    emit: (g: Graph, [x, w1, w2, w3]: never[]) => [
      swiglu(g, x, 4, 5, { param: paramsFrom(g, { "w1.kernel": w1, "w2.kernel": w2, "w3.kernel": w3 }) }),
    ],
    cases: [],
    vjp: null,
    gradCases: [],
  };
  const r = await gradCheck(def, {
    name: "tiny",
    inputs: [rnd([2, 3, 4], 1), rnd([4, 5], 2), rnd([5, 4], 3), rnd([4, 5], 4)],
  });
  ok(r.relativeError < (r.dtype === "float64" ? 1e-6 : 2e-2), JSON.stringify(r));
});
