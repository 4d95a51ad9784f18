/**
 * torch.nn.MultiheadAttention (batch-first here; torch's sequence-first
 * layout is only a transpose): a fused `in_proj_weight` (3W, W) and
 * `in_proj_bias`, scaled dot-product over heads, `out_proj`. Parameter names
 * are torch's, so checkpoints load without a converter.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { f32, matmul, mul, reshape, softmax, split, transpose } from "../ops/mod.ts";
import { linear, timesTransposed } from "./linear.ts";

/** Full bidirectional self-attention over x (B, L, W). */
export function multiheadAttention(g: Graph, x: Value, width: number, heads: number): Value {
  const [b, l] = x.shape;
  const hd = width / heads;
  const w = g.param("in_proj_weight", [3 * width, width]);
  const bias = g.param("in_proj_bias", [3 * width]);
  const qkv = timesTransposed(g, x, w, bias);
  const [q, k, v] = split(g, qkv, -1, [width, width, width]).map((t) =>
    transpose(g, reshape(g, t, [b, l, heads, hd]), [0, 2, 1, 3])
  );
  // torch scales q by 1/sqrt(head_dim) before the product.
  const qs = mul(g, q, g.constant(f32([], [1 / Math.sqrt(hd)]), "scale"));
  const att = softmax(g, matmul(g, qs, transpose(g, k, [0, 1, 3, 2])), -1);
  const ctx = reshape(g, transpose(g, matmul(g, att, v), [0, 2, 1, 3]), [b, l, width]);
  return g.scope("out_proj", () => linear(g, ctx, width, width));
}
