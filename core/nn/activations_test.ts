/**
 * GELU: forward against the erf form, and its own gradient rule against
 * central differences (float64) and against the op-by-op gradient of the
 * same erf chain, over x in [−6, 6].
 */
import { ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { add, div, erf, f32, mul, reduceSum } from "../ops/mod.ts";
import { rnd } from "../ops/op.ts";
import { gradCheck } from "../autodiff/gradcheck.ts";
import { gradients } from "../autodiff/grad.ts";
import { Session } from "../runtime/mod.ts";
import { gelu } from "./activations.ts";

const GELU = {
  key: "Gelu",
  type: "Gelu",
  emit: (g: Graph, [x]: never[]) => [gelu(g, x)],
  cases: [],
  vjp: null,
  gradCases: [],
};

// ONNX Runtime has no float64 Erf, so the check runs in float32.
Deno.test("gelu: its gradient rule passes the central-difference check", async () => {
  for (const [i, shift] of [[1, 0], [2, 2], [3, -2]]) {
    const r = await gradCheck(GELU, { name: "values", inputs: [rnd([3, 5], i, shift)] });
    ok(r.relativeError < (r.dtype === "float64" ? 1e-6 : 1e-4), `shift ${shift}: ${JSON.stringify(r)}`);
  }
});

Deno.test("gelu: value and gradient equal the op-by-op erf chain's", async () => {
  const n = 241;
  const xs = Array.from({ length: n }, (_, i) => -6 + (12 * i) / (n - 1));
  const g = new Graph("gelu");
  const x = g.input("x", "float32", [n]);
  const y = gelu(g, x);
  const chain = mul(
    g,
    mul(g, x, g.constant(f32([], [0.5]), "h")),
    add(g, erf(g, div(g, x, g.constant(f32([], [Math.SQRT2]), "s"))), g.constant(f32([], [1]), "o")),
  );
  const ref = g.input("ref", "float32", [n]);
  // x enters both; separate the two losses through a second input holding the same values.
  const chainRef = mul(
    g,
    mul(g, ref, g.constant(f32([], [0.5]), "h")),
    add(g, erf(g, div(g, ref, g.constant(f32([], [Math.SQRT2]), "s"))), g.constant(f32([], [1]), "o")),
  );
  const dx = gradients(g, reduceSum(g, y, [0], false), ["x"]).get("x")!;
  const dref = gradients(g, reduceSum(g, chainRef, [0], false), ["ref"]).get("ref")!;
  g.output(y, "y");
  g.output(chain, "chain");
  g.output(dx, "dx");
  g.output(dref, "dref");
  const s = await Session.create(g, new Map());
  const r = await s.run({ x: f32([n], xs), ref: f32([n], xs) });
  await s.release();
  const [yv, cv, dv, rv] = [r.y, r.chain, r.dx, r.dref].map((t) => t.data as Float32Array);
  for (let i = 0; i < n; i++) {
    ok(Math.abs(yv[i] - cv[i]) < 1e-6, `gelu(${xs[i]}) ${yv[i]} vs ${cv[i]}`);
    ok(Math.abs(dv[i] - rv[i]) < 2e-6, `gelu'(${xs[i]}) ${dv[i]} vs ${rv[i]}`);
  }
  ok(Math.abs(dv[0]) < 1e-6 && Math.abs(dv[n - 1] - 1) < 1e-6, "gelu' → 0 at −6 and 1 at +6");
});
