/**
 * Block-causal masks and LLaMA attention: the mask pattern by hand, a
 * hand-computed two-token case with and without the mask, agreement with a
 * plain-loop reference (RoPE + mask, 2 heads), and gradients of the input and
 * all four projections against central differences.
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { f32, rnd } from "../ops/mod.ts";
import { gradCheck } from "../autodiff/gradcheck.ts";
import { near, runGraph } from "../quantizers/_testutil.ts";
import type { Tensor } from "../tensor.ts";
import { blockCausalMask } from "./block_mask.ts";
import { paramsFrom } from "./dense.ts";
import { llamaAttention } from "./masked_attention.ts";
import { ropeTable } from "./rope.ts";
import { refAttention, rows } from "./_llama_ref.ts";

const bits = (m: Tensor) => rows(m.data as Uint8Array, m.shape[1]).map((r) => r.join(""));

Deno.test("block_mask: full inside a block, causal across blocks; row slices and padding", () => {
  deepStrictEqual(bits(blockCausalMask(6, 2)), ["110000", "110000", "111100", "111100", "111111", "111111"]);
  deepStrictEqual(bits(blockCausalMask(6, 3, { rows: [3, 6] })), ["111111", "111111", "111111"]);
  deepStrictEqual(bits(blockCausalMask(4, 2, { valid: [true, false, true, true] })), [
    "1000",
    "1000",
    "1011",
    "1011",
  ]);
  deepStrictEqual(bits(blockCausalMask(3, 1)), ["100", "110", "111"]); // block 1 = plain causal
});

Deno.test("attention: two tokens by hand, identity projections, with and without the mask", async () => {
  // q = k = v = x = (e₀, e₁), d = 2: scores (1/√2)·I, so token 0 takes σ(1/√2) = 0.6697615 of v₀.
  // Block-causal with blocks of 1: token 0 sees only itself → exactly v₀; token 1 as unmasked.
  const eye = f32([2, 2], [1, 0, 0, 1]);
  const w = new Map(["wq", "wk", "wv", "wo"].map((n) => [`a.${n}.kernel`, eye]));
  const p = 1 / (1 + Math.exp(-Math.SQRT1_2));
  const x = f32([1, 2, 2], [1, 0, 0, 1]);
  const out = await runGraph(
    (g) => {
      const xi = g.input("x", "float32", [1, 2, 2]);
      const mask = g.constant(blockCausalMask(2, 1));
      return {
        full: g.scope("a", () => llamaAttention(g, xi, { width: 2, heads: 1 }).out),
        masked: g.scope("a", () => llamaAttention(g, xi, { width: 2, heads: 1, mask }).out),
      };
    },
    { x },
    w,
  );
  near(out.full, f32([1, 2, 2], [p, 1 - p, 1 - p, p]), 1e-6, "full");
  near(out.masked, f32([1, 2, 2], [1, 0, 1 - p, p]), 1e-6, "masked");
});

Deno.test("attention: 2 heads with RoPE and a block-causal mask match the plain-loop reference", async () => {
  const [L, W, H, theta] = [6, 8, 2, 100];
  const names = ["wq", "wk", "wv", "wo"] as const;
  const ws = names.map((_, i) => rnd([W, W], 10 + i));
  const x = rnd([1, L, W], 3);
  const positions = [0, 1, 2, 3, 4, 5];
  const mask = blockCausalMask(L, 2);
  const { cos, sin } = ropeTable(positions, W / H, theta);
  const out = await runGraph(
    (g) => ({
      y: g.scope("attention", () =>
        llamaAttention(g, g.input("x", "float32", [1, L, W]), {
          width: W,
          heads: H,
          mask: g.constant(mask),
          rope: { cos: g.constant(cos), sin: g.constant(sin) },
        }).out),
    }),
    { x },
    new Map(names.map((n, i) => [`attention.${n}.kernel`, ws[i]])),
  );
  const m = rows(mask.data, L).map((r) => r.map((v) => v === 1));
  const [wq, wk, wv, wo] = ws.map((t) => rows(t.data as Float32Array, W));
  const want = refAttention(rows(x.data as Float32Array, W), { wq, wk, wv, wo }, H, m, { positions, theta });
  near(out.y, f32([1, L, W], want.flat()), 2e-6, "attention");
});

Deno.test("attention: gradients of x and wq, wk, wv, wo pass the central-difference check", async () => {
  const { cos, sin } = ropeTable([0, 1, 2, 3], 4, 10000);
  const def = {
    key: "LlamaAttention",
    type: "LlamaAttention",
    emit: (g: Graph, [x, wq, wk, wv, wo, c, s]: never[]) => [
      llamaAttention(g, x, {
        width: 8,
        heads: 2,
        mask: g.constant(blockCausalMask(4, 2)),
        rope: { cos: c, sin: s },
        param: paramsFrom(g, { "wq.kernel": wq, "wk.kernel": wk, "wv.kernel": wv, "wo.kernel": wo }),
      }).out,
    ],
    cases: [],
    vjp: null,
    gradCases: [],
  };
  const inputs = [rnd([2, 4, 8], 1), ...[2, 3, 4, 5].map((s) => rnd([8, 8], s)), cos, sin];
  const r = await gradCheck(def, { name: "B2 L4 W8 H2", inputs, wrt: [0, 1, 2, 3, 4] });
  ok(r.relativeError < (r.dtype === "float64" ? 1e-6 : 2e-2), JSON.stringify(r));
});
