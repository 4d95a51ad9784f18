/**
 * A toy family that lives only in the tests: a two-iteration host loop that
 * gives each image its own length, as ALIT does. Images are 3×16×16; iteration
 * 1 keeps 2 tokens (the mean of the top and bottom halves), iteration 2 keeps
 * 4 (the quadrant means); ids are round(15·mean). `encodeAdaptive` runs
 * iteration 1, decodes, and runs iteration 2 only for the images whose L1
 * error is above the threshold; `decode` groups items by length and runs each
 * length's decoder. Nothing in core knows this family.
 * @module
 */
import { Graph, type Value } from "../../core/graph/graph.ts";
import { cast, div, mul, reduceMean, reshape, round } from "../../core/ops/mod.ts";
import { definePlugin, type ProgramContext, type Programs } from "../../core/plugin.ts";
import type { Tensor } from "../../core/tensor.ts";
import { concatBatch, sliceBatch, type Tokens } from "../../core/tokens.ts";
import { l1PerItem } from "../../core/metrics/l1.ts";
import { z } from "zod";

const B = "batch";
const LEVELS = 15;
const S = 16;
const H = S / 2;

const scalar = (g: Graph, v: number) => g.constant({ dtype: "float32", shape: [], data: Float32Array.of(v) });

/** image → n region means as ids (B,1,n). */
function encodeGraph(n: 2 | 4): Graph {
  const g = new Graph(`iter_encode_${n}`);
  const x = g.input("image", "float32", [B, 3, S, S]);
  const regions = n === 2
    ? reduceMean(g, reshape(g, x, [B, 3, 2, H * S]), [1, 3], false)
    : reduceMean(g, reshape(g, x, [B, 3, 2, H, 2, H]), [1, 3, 5], false);
  const ids = cast(g, round(g, mul(g, reshape(g, regions, [B, 1, n]), scalar(g, LEVELS))), "int64");
  g.output(ids, "tokens");
  return g;
}

/** ids (B,1,n) → image (B,3,S,S), each region its value. */
function decodeGraph(n: 2 | 4): Graph {
  const g = new Graph(`iter_decode_${n}`);
  const ids = g.input("tokens", "int64", [B, 1, n]);
  const v = div(g, cast(g, ids, "float32"), scalar(g, LEVELS));
  const ones = (shape: number[]) =>
    g.constant({ dtype: "float32", shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1) });
  let img: Value;
  if (n === 2) img = mul(g, reshape(g, v, [B, 1, 2, 1, 1]), ones([1, 3, 2, H, S]));
  else img = mul(g, reshape(g, v, [B, 1, 2, 1, 2, 1]), ones([1, 3, 2, H, 2, H]));
  g.output(reshape(g, img, [B, 3, S, S]), "image");
  return g;
}

/** Ids (B,1,n) → (B,1,4) padded with −1. */
function pad4(ids: Tensor): Tensor {
  const n = ids.shape[2], rows = ids.shape[0];
  const out = new BigInt64Array(rows * 4).fill(-1n);
  for (let r = 0; r < rows; r++) out.set((ids.data as BigInt64Array).subarray(r * n, r * n + n), r * 4);
  return { dtype: "int64", shape: [rows, 1, 4], data: out };
}

/** The rows `which` of a batch tensor, as one tensor. */
function rows(t: Tensor, which: number[]): Tensor {
  return concatBatch(which.map((i) => sliceBatch(t, i, i + 1)));
}

async function encodeAt(ctx: ProgramContext, images: Tensor, n: 2 | 4): Promise<Tokens> {
  const ids = (await ctx.run(`encode_${n}`, { image: images })).tokens;
  return { tokens: pad4(ids), lengths: new Array(images.shape[0]).fill(n) };
}

/** Decodes each item at its own length (items grouped by length, results put back in order). */
async function decodeByLength(ctx: ProgramContext, t: Tokens): Promise<Tensor> {
  const lengths = t.lengths ?? new Array(t.tokens.shape[0]).fill(4);
  const parts = new Map<number, Tensor>();
  for (const n of [2, 4] as const) {
    const idx = lengths.flatMap((l, i) => (l === n ? [i] : []));
    if (!idx.length) continue;
    const ids = rows(t.tokens, idx);
    const kept: Tensor = {
      dtype: "int64",
      shape: [idx.length, 1, n],
      data: BigInt64Array.from(
        { length: idx.length * n },
        (_, j) => (ids.data as BigInt64Array)[Math.floor(j / n) * 4 + (j % n)],
      ),
    };
    const img = (await ctx.run(`decode_${n}`, { tokens: kept })).image;
    idx.forEach((i, k) => parts.set(i, sliceBatch(img, k, k + 1)));
  }
  return concatBatch(lengths.map((_, i) => parts.get(i)!));
}

const programs: Programs = {
  encode: {
    graphs: ["encode_4"],
    description: "encode_n(image) → n ids, n = the budget (default 4)",
    run: (ctx, images, o) => encodeAt(ctx, images, (o.budget ?? 4) as 2 | 4),
  },
  encodeAdaptive: {
    graphs: ["encode_2", "decode_2", "encode_4"],
    description: "encode_2 → decode_2; items whose L1 ≥ threshold go on to encode_4",
    async run(ctx, images, o) {
      const first = await encodeAt(ctx, images, 2);
      const recon = await decodeByLength(ctx, first);
      const errors = l1PerItem(images, recon);
      const redo = errors.flatMap((e, i) => (e >= (o.threshold ?? 0) ? [i] : []));
      if (!redo.length) return first;
      const second = await encodeAt(ctx, rows(images, redo), 4);
      const ids = first.tokens.data as BigInt64Array;
      redo.forEach((i, k) =>
        ids.set((second.tokens.data as BigInt64Array).subarray(k * 4, k * 4 + 4), i * 4)
      );
      const lengths = first.lengths!.map((l, i) => (redo.includes(i) ? 4 : l));
      return { tokens: first.tokens, lengths };
    },
  },
  decode: {
    graphs: ["decode_2", "decode_4"],
    description: "each item through decode_<its length>",
    run: decodeByLength,
  },
};

/** The toy plugin. */
export const iterativeToy = definePlugin<{ size: number }>({
  name: "toy_iterative",
  paper: "tests only",
  schema: z.object({ size: z.literal(S).default(S) }),
  presets: { tiny: { size: S } },
  recognises: () => 0,
  info: (_c, variant) => ({
    family: "toy_iterative",
    variant,
    input: { kind: "image", height: S, width: S },
    imageSize: S,
    tokenShape: [1, 4],
    tokenDtype: "int64",
    tokensPerItem: 4,
    vocabulary: LEVELS + 1,
    inputRange: [0, 1],
    padded: true,
    budgets: [2, 4],
  }),
  graphs: () => ({
    encode_2: () => encodeGraph(2),
    encode_4: () => encodeGraph(4),
    decode_2: () => decodeGraph(2),
    decode_4: () => decodeGraph(4),
  }),
  programs,
  load: (t) => t,
});
