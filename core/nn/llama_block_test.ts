/**
 * The LLaMA block and stack: parameter names (ElasticTok's tree, unscanned),
 * agreement with the plain-loop reference, gradients of the input and all
 * nine parameters, and KV-cached block-by-block decoding of a 2-block stack
 * against one full pass with the block-causal mask.
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { f32, rnd, t } from "../ops/mod.ts";
import { gradCheck } from "../autodiff/gradcheck.ts";
import { Session } from "../runtime/mod.ts";
import { near, runGraph } from "../quantizers/_testutil.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { blockCausalMask } from "./block_mask.ts";
import { paramsFrom } from "./dense.ts";
import { llamaBlock, llamaStack } from "./llama_block.ts";
import type { KvCache } from "./masked_attention.ts";
import { ropeGather } from "./rope.ts";
import { refBlock, rows } from "./_llama_ref.ts";

const [W, HID, H, EPS, THETA] = [8, 12, 2, 1e-5, 500];
const SHAPES: Record<string, number[]> = {
  "attention_norm.kernel": [W],
  "attention.wq.kernel": [W, W],
  "attention.wk.kernel": [W, W],
  "attention.wv.kernel": [W, W],
  "attention.wo.kernel": [W, W],
  "ffn_norm.kernel": [W],
  "feed_forward.w1.kernel": [W, HID],
  "feed_forward.w3.kernel": [W, HID],
  "feed_forward.w2.kernel": [HID, W],
};

/** Seeded weights for every block of a stack under `prefix`. */
function weights(prefix: string, depth: number): Map<string, Tensor> {
  const m = new Map<string, Tensor>();
  let seed = 1;
  for (let i = 0; i < depth; i++) {
    for (const [k, s] of Object.entries(SHAPES)) {
      // Norm scales near 1, matrices small enough to keep the residual stream tame.
      const r = rnd(s, seed++, s.length === 1 ? 1 : 0);
      if (s.length === 2) r.data = (r.data as Float32Array).map((v) => v * 0.5);
      m.set(`${prefix}${i}.${k}`, r);
    }
  }
  return m;
}

Deno.test("llama_block: a stack declares ElasticTok's per-layer names and Flax shapes", () => {
  const g = new Graph("names");
  const x = g.input("x", "float32", [1, 4, W]);
  g.scope("encoder_blocks", () => llamaStack(g, x, 2, { width: W, hidden: HID, heads: H, eps: EPS }));
  const want = [0, 1].flatMap((i) =>
    Object.entries(SHAPES).map(([k, s]) => `encoder_blocks.${i}.${k}${JSON.stringify(s)}`)
  );
  deepStrictEqual(
    [...g.params.values()].map((p) => `${p.name}${JSON.stringify(p.shape)}`).sort(),
    want.sort(),
  );
});

Deno.test("llama_block: one block with RoPE and a block-causal mask matches the plain-loop reference", async () => {
  const L = 6;
  const w = weights("b.", 1);
  const x = rnd([1, L, W], 7);
  const positions = [0, 1, 2, 3, 4, 5];
  const mask = blockCausalMask(L, 3);
  const out = await runGraph(
    (g) => {
      const rope = ropeGather(g, g.constant(t("int64", [L], positions)), L, W / H, THETA);
      const o = { width: W, hidden: HID, heads: H, eps: EPS, rope, mask: g.constant(mask) };
      return {
        y: g.scope("b", () => g.scope(0, () => llamaBlock(g, g.input("x", "float32", [1, L, W]), o).out)),
      };
    },
    { x },
    w,
  );
  const m = (k: string) => rows(w.get(`b.0.${k}`)!.data as Float32Array, SHAPES[k][1] ?? SHAPES[k][0]);
  const want = refBlock(
    rows(x.data as Float32Array, W),
    {
      attnNorm: m("attention_norm.kernel")[0],
      ffnNorm: m("ffn_norm.kernel")[0],
      wq: m("attention.wq.kernel"),
      wk: m("attention.wk.kernel"),
      wv: m("attention.wv.kernel"),
      wo: m("attention.wo.kernel"),
      w1: m("feed_forward.w1.kernel"),
      w2: m("feed_forward.w2.kernel"),
      w3: m("feed_forward.w3.kernel"),
    },
    H,
    EPS,
    rows(mask.data, L).map((r) => r.map((v) => v === 1)),
    { positions, theta: THETA },
  );
  near(out.y, f32([1, L, W], want.flat()), 1e-5, "block");
});

Deno.test("llama_block: gradients of x and all nine parameters pass the central-difference check", async () => {
  const keys = Object.keys(SHAPES);
  const def = {
    key: "LlamaBlock",
    type: "LlamaBlock",
    emit: (g: Graph, [x, ...ws]: never[]) => [
      llamaBlock(g, x, {
        width: W,
        hidden: HID,
        heads: H,
        eps: EPS,
        mask: g.constant(blockCausalMask(4, 2)),
        param: paramsFrom(g, Object.fromEntries(keys.map((k, i) => [k, ws[i]]))),
      }).out,
    ],
    cases: [],
    vjp: null,
    gradCases: [],
  };
  const inputs = [
    rnd([2, 4, W], 1),
    ...keys.map((k, i) => rnd(SHAPES[k], 20 + i, SHAPES[k].length === 1 ? 1 : 0)),
  ];
  const r = await gradCheck(def, { name: "B2 L4", inputs });
  ok(r.relativeError < (r.dtype === "float64" ? 1e-6 : 2e-2), JSON.stringify(r));
});

Deno.test("llama_block: 2 blocks decoded block by block with a KV cache equal one block-causal pass (1e-5)", async () => {
  const [BLOCK, N, DEPTH, HD] = [4, 3, 2, W / H];
  const L = BLOCK * N;
  const w = weights("blocks.", DEPTH);
  const x = rnd([1, L, W], 11, 0.5);
  const o = { width: W, hidden: HID, heads: H, eps: EPS };

  // One pass over all blocks with the block-causal mask.
  const full = await runGraph(
    (g) => {
      const rope = ropeGather(g, g.input("positions", "int64", [L]), L, HD, THETA);
      const mask = g.constant(blockCausalMask(L, BLOCK));
      const xi = g.input("x", "float32", [1, L, W]);
      return { y: g.scope("blocks", () => llamaStack(g, xi, DEPTH, { ...o, rope, mask }).out) };
    },
    { x, positions: t("int64", [L], [...Array(L).keys()]) },
    w,
  );

  // One graph for any cache length P: a block of queries against P cached positions.
  const g = new Graph("cached");
  const xi = g.input("x", "float32", [1, BLOCK, W]);
  const rope = ropeGather(g, g.input("positions", "int64", [BLOCK]), L, HD, THETA);
  const pasts: KvCache[] = [...Array(DEPTH).keys()].map((i) => ({
    key: g.input(`past_key_${i}`, "float32", [1, H, "past", HD]),
    value: g.input(`past_value_${i}`, "float32", [1, H, "past", HD]),
  }));
  // The newest block sees every cached position and itself: its rows of the block-causal mask are all true.
  ok(blockCausalMask(L, BLOCK, { rows: [L - BLOCK, L] }).data.every((v) => v === 1));
  const r = g.scope("blocks", () => llamaStack(g, xi, DEPTH, { ...o, rope, pasts }));
  g.output(r.out, "y");
  r.presents.forEach((p, i) => {
    g.output(p.key, `present_key_${i}`);
    g.output(p.value, `present_value_${i}`);
  });
  const s = await Session.create(g, w, { threads: 1 });
  let cache: Record<string, Tensor> = {};
  for (let i = 0; i < DEPTH; i++) {
    cache[`past_key_${i}`] = zeros("float32", [1, H, 0, HD]);
    cache[`past_value_${i}`] = zeros("float32", [1, H, 0, HD]);
  }
  const got = new Float32Array(L * W);
  try {
    for (let b = 0; b < N; b++) {
      const xb = f32([1, BLOCK, W], [...x.data.slice(b * BLOCK * W, (b + 1) * BLOCK * W) as Float32Array]);
      const positions = t("int64", [BLOCK], [...Array(BLOCK).keys()].map((j) => b * BLOCK + j));
      const res = await s.run({ x: xb, positions, ...cache });
      got.set(res.y.data as Float32Array, b * BLOCK * W);
      cache = {};
      for (let i = 0; i < DEPTH; i++) {
        deepStrictEqual(res[`present_key_${i}`].shape, [1, H, (b + 1) * BLOCK, HD]);
        cache[`past_key_${i}`] = res[`present_key_${i}`];
        cache[`past_value_${i}`] = res[`present_value_${i}`];
      }
    }
  } finally {
    await s.release();
  }
  near(f32([1, L, W], [...got]), full.y, 1e-5, "cached vs full");
  // Sanity: the blocks differ from what a pass without the cache would give (the cache matters).
  const alone = await runGraph((g2) => {
    const rope2 = ropeGather(g2, g2.input("positions", "int64", [BLOCK]), L, HD, THETA);
    const x2 = g2.input("x", "float32", [1, BLOCK, W]);
    return { y: g2.scope("blocks", () => llamaStack(g2, x2, DEPTH, { ...o, rope: rope2 }).out) };
  }, {
    x: f32([1, BLOCK, W], [...x.data.slice(BLOCK * W, 2 * BLOCK * W) as Float32Array]),
    positions: t("int64", [BLOCK], [4, 5, 6, 7]),
  }, w);
  const diff = (alone.y.data as Float32Array).reduce(
    (m, v, i) => Math.max(m, Math.abs(v - got[BLOCK * W + i])),
    0,
  );
  ok(diff > 1e-3, `block 1 without its cache should differ (max diff ${diff})`);
});
