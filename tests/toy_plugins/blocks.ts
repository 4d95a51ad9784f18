/**
 * A toy family that lives only in the tests: video in blocks with a state
 * carried from block to block, as ElasticTok's KV cache. A video is 4 frames
 * of 3×2×2; each frame (a block) becomes one id, round(15·mean). Frame j
 * decodes to the running mean of the first j+1 ids (a causal dependency on
 * every earlier block). `decode` runs the one-block graph four times, feeding
 * the state it returns (running sum and count) back in; the `decode_full`
 * graph recomputes all frames at once with a lower-triangular matrix. Their
 * outputs must agree. Nothing in core knows this family.
 * @module
 */
import { Graph } from "../../core/graph/graph.ts";
import { add, cast, div, matmul, mul, reduceMean, reshape, round } from "../../core/ops/mod.ts";
import { definePlugin, type Programs } from "../../core/plugin.ts";
import type { Tensor } from "../../core/tensor.ts";
import { z } from "zod";

const B = "batch";
const F = 4;
const LEVELS = 15;

const scalar = (g: Graph, v: number) => g.constant({ dtype: "float32", shape: [], data: Float32Array.of(v) });
const ones = (g: Graph, shape: number[]) =>
  g.constant({ dtype: "float32", shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1) });

/** video (B,F,3,2,2) → one id per frame (B,1,F). */
function encodeGraph(): Graph {
  const g = new Graph("blocks_encode");
  const x = g.input("video", "float32", [B, F, 3, 2, 2]);
  const means = reduceMean(g, reshape(g, x, [B, F, 12]), [2], false);
  g.output(cast(g, round(g, mul(g, reshape(g, means, [B, 1, F]), scalar(g, LEVELS))), "int64"), "tokens");
  return g;
}

/** One block: its id (B,1), state sum (B,1) → frame (B,3,2,2) and the new sum. */
function blockGraph(): Graph {
  const g = new Graph("blocks_decode_block");
  const id = g.input("token", "int64", [B, 1]);
  const sum = g.input("past_sum", "float32", [B, 1]);
  const count = g.input("past_count", "float32", [1]);
  const newSum = add(g, sum, div(g, cast(g, id, "float32"), scalar(g, LEVELS)));
  const newCount = add(g, count, scalar(g, 1));
  const mean = div(g, newSum, newCount);
  g.output(mul(g, reshape(g, mean, [B, 1, 1, 1]), ones(g, [1, 3, 2, 2])), "frame");
  g.output(newSum, "present_sum");
  g.output(newCount, "present_count");
  return g;
}

/** All blocks at once: ids (B,1,F) → video (B,F,3,2,2), frame j = mean of ids 0..j. */
function fullGraph(): Graph {
  const g = new Graph("blocks_decode_full");
  const ids = g.input("tokens", "int64", [B, 1, F]);
  const v = div(g, cast(g, ids, "float32"), scalar(g, LEVELS));
  // (B,1,F) · A (F,F), A[i][j] = 1/(j+1) for i ≤ j: the running means.
  const a = new Float32Array(F * F);
  for (let i = 0; i < F; i++) for (let j = i; j < F; j++) a[i * F + j] = 1 / (j + 1);
  const means = matmul(g, v, g.constant({ dtype: "float32", shape: [F, F], data: a }));
  g.output(mul(g, reshape(g, means, [B, F, 1, 1, 1]), ones(g, [1, 1, 3, 2, 2])), "video");
  return g;
}

function framesToVideo(frames: Tensor[]): Tensor {
  const b = frames[0].shape[0], per = 12;
  const out = new Float32Array(b * F * per);
  frames.forEach((f, j) => {
    for (let i = 0; i < b; i++) {
      out.set((f.data as Float32Array).subarray(i * per, (i + 1) * per), (i * F + j) * per);
    }
  });
  return { dtype: "float32", shape: [b, F, 3, 2, 2], data: out };
}

const programs: Programs = {
  encode: {
    graphs: ["encode"],
    description: "encode(video) → one id per block",
    async run(ctx, video) {
      const tokens = (await ctx.run("encode", { video })).tokens;
      return { tokens, blockCounts: new Array(video.shape[0]).fill(0).map(() => new Array(F).fill(1)) };
    },
  },
  decode: {
    graphs: ["decode_block"],
    description: "decode_block per block, its present_* outputs fed back as the next block's past_*",
    async run(ctx, t) {
      const b = t.tokens.shape[0];
      const ids = t.tokens.data as BigInt64Array;
      let state: Record<string, Tensor> = {
        past_sum: { dtype: "float32", shape: [b, 1], data: new Float32Array(b) },
        past_count: { dtype: "float32", shape: [1], data: new Float32Array(1) },
      };
      const frames: Tensor[] = [];
      for (let j = 0; j < F; j++) {
        const token: Tensor = {
          dtype: "int64",
          shape: [b, 1],
          data: BigInt64Array.from({ length: b }, (_, i) => ids[i * F + j]),
        };
        const r = await ctx.run("decode_block", { token, ...state });
        frames.push(r.frame);
        state = { past_sum: r.present_sum, past_count: r.present_count };
      }
      return framesToVideo(frames);
    },
  },
};

/** The toy plugin. */
export const blocksToy = definePlugin<{ frames: number }>({
  name: "toy_blocks",
  paper: "tests only",
  schema: z.object({ frames: z.literal(F).default(F) }),
  presets: { tiny: { frames: F } },
  recognises: () => 0,
  info: (_c, variant) => ({
    family: "toy_blocks",
    variant,
    input: { kind: "video", frames: F, height: 2, width: 2 },
    imageSize: 2,
    tokenShape: [1, F],
    tokenDtype: "int64",
    tokensPerItem: F,
    vocabulary: LEVELS + 1,
    inputRange: [0, 1],
    budgets: [F],
  }),
  graphs: () => ({ encode: encodeGraph, decode_block: blockGraph, decode_full: fullGraph }),
  programs,
  load: (t) => t,
});
