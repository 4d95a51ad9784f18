/**
 * The open_clip pre-norm `ResidualAttentionBlock` used by TiTok, ALIT and
 * MARVEL: x += MHA(LN₁(x)); x += MLP(LN₂(x)), MLP = Linear 4× + exact GELU.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, slice } from "../ops/mod.ts";
import { gelu } from "./activations.ts";
import { multiheadAttention } from "./attention.ts";
import { linear } from "./linear.ts";
import { layerNorm } from "./norm.ts";

/**
 * One block; parameters `ln_1`, `attn`, `ln_2`, `mlp.c_fc`, `mlp.c_proj` in the current scope. With
 * `rows` [start, end) only those positions come out (every position is still attended to): the same
 * values for a fraction of the work when nothing reads the others.
 */
export function residualAttentionBlock(
  g: Graph,
  x: Value,
  width: number,
  heads: number,
  mlpRatio = 4,
  rows?: readonly [number, number],
): Value {
  const h = g.scope("ln_1", () => layerNorm(g, x, width));
  const attended = g.scope("attn", () => multiheadAttention(g, h, width, heads, rows));
  x = add(g, rows ? slice(g, x, 1, ...rows) : x, attended);
  const h2 = g.scope("ln_2", () => layerNorm(g, x, width));
  const hidden = width * mlpRatio;
  const m = g.scope("mlp", () => {
    const a = g.scope("c_fc", () => linear(g, h2, width, hidden));
    return g.scope("c_proj", () => linear(g, gelu(g, a), hidden, width));
  });
  return add(g, x, m);
}

/**
 * `depth` blocks under `transformer.{i}`. `keepRows` [start, end): the positions the caller reads
 * afterwards; the last block computes only those (TiTok's encoder keeps its K latent tokens, its
 * decoder the mask tokens), which saves most of that block's GEMM rows.
 */
export function transformer(
  g: Graph,
  x: Value,
  width: number,
  heads: number,
  depth: number,
  keepRows?: readonly [number, number],
): Value {
  return g.scope("transformer", () => {
    for (let i = 0; i < depth; i++) {
      const rows = i === depth - 1 ? keepRows : undefined;
      x = g.scope(i, () => residualAttentionBlock(g, x, width, heads, 4, rows));
    }
    return x;
  });
}
