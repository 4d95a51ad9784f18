/**
 * RoPE: upstream's frequencies, the interleaved pairing checked by hand,
 * gathered tables equal host tables, relative-position invariance, and the
 * gradient through the rotation.
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { f32, rnd, t } from "../ops/mod.ts";
import { gradCheck } from "../autodiff/gradcheck.ts";
import { near, runGraph } from "../quantizers/_testutil.ts";
import { applyRope, ropeFrequencies, ropeGather, ropeTable } from "./rope.ts";

Deno.test("rope: frequencies are θ^(−2i/d): d = 8, θ = 10⁴ → 1, 0.1, 0.01, 0.001", () => {
  deepStrictEqual([...ropeFrequencies(8, 10000)], [1, 0.1, 0.01, 0.001].map(Math.fround));
  // ElasticTok-FSQ: θ = 5e7, head dim 128: the last frequency is 5e7^(−126/128).
  const f = ropeFrequencies(128, 5e7);
  ok(Math.abs(f[63] - 5e7 ** (-126 / 128)) < 1e-7 * f[63]);
});

Deno.test("rope: pairs are interleaved (x[2i], x[2i+1]), rotated by position · frequency", async () => {
  // d = 4, θ = 100 → frequencies (1, 0.1). Position 0 leaves x alone; position 1 turns the
  // first pair by 1 rad and the second by 0.1 rad; position 5 by 5 and 0.5 rad.
  const x = [1, 0, 0, 2];
  const rot = (
    a: number,
    b: number,
    th: number,
  ) => [a * Math.cos(th) - b * Math.sin(th), a * Math.sin(th) + b * Math.cos(th)];
  const want = [0, 1, 5].flatMap((p) => [...rot(1, 0, p), ...rot(0, 2, 0.1 * p)]);
  // (cos 1, sin 1) = (0.5403023, 0.8414710): the partner of x[0] is x[1], not x[2] (half-split would mix 0 and 2).
  ok(Math.abs(want[4] - 0.5403023) < 1e-7 && Math.abs(want[5] - 0.841471) < 1e-7);
  const { cos, sin } = ropeTable([0, 1, 5], 4, 100);
  const out = await runGraph((g) => ({
    y: applyRope(g, g.input("x", "float32", [1, 3, 1, 4]), g.constant(cos), g.constant(sin)),
  }), { x: f32([1, 3, 1, 4], [...x, ...x, ...x]) });
  near(out.y, f32([1, 3, 1, 4], want), 1e-6, "rotated");
});

Deno.test("rope: tables gathered by position ids equal the host table rows; (B, L) ids work too", async () => {
  const ids = [3, 0, 7, 7];
  const out = await runGraph((g) => {
    const p = ropeGather(g, g.input("p", "int64", [2, 2]), 8, 6, 5e6);
    return { cos: p.cos, sin: p.sin };
  }, { p: t("int64", [2, 2], ids) });
  const want = ropeTable(ids, 6, 5e6);
  near(out.cos, { ...want.cos, shape: [2, 2, 3] }, 0, "cos");
  near(out.sin, { ...want.sin, shape: [2, 2, 3] }, 0, "sin");
});

Deno.test("rope: q·k after rotation depends only on the position difference", async () => {
  const q = rnd([1, 1, 1, 8], 1);
  const k = rnd([1, 1, 1, 8], 2);
  const dots: number[] = [];
  for (const [pq, pk] of [[5, 2], [13, 10], [3, 0]]) {
    const tq = ropeTable([pq], 8, 10000);
    const tk = ropeTable([pk], 8, 10000);
    const out = await runGraph((g) => ({
      rq: applyRope(g, g.input("q", "float32", [1, 1, 1, 8]), g.constant(tq.cos), g.constant(tq.sin)),
      rk: applyRope(g, g.input("k", "float32", [1, 1, 1, 8]), g.constant(tk.cos), g.constant(tk.sin)),
    }), { q, k });
    dots.push((out.rq.data as Float32Array).reduce((s, v, i) => s + v * (out.rk.data[i] as number), 0));
  }
  ok(Math.abs(dots[0] - dots[1]) < 1e-5 && Math.abs(dots[0] - dots[2]) < 1e-5, `${dots}`);
});

Deno.test("rope: the gradient through the rotation passes the central-difference check", async () => {
  const { cos, sin } = ropeTable([0, 1, 2], 4, 10000);
  const def = {
    key: "RoPE",
    type: "RoPE",
    emit: (g: Graph, [x, c, s]: never[]) => [applyRope(g, x, c, s)],
    cases: [],
    vjp: null,
    gradCases: [],
  };
  const r = await gradCheck(def, { name: "B2 L3 H2 d4", inputs: [rnd([2, 3, 2, 4], 4), cos, sin], wrt: [0] });
  ok(r.relativeError < (r.dtype === "float64" ? 1e-6 : 2e-2), JSON.stringify(r));
});
