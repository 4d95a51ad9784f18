/**
 * torch.nn.MultiheadAttention (batch-first here; torch's sequence-first
 * layout is only a transpose): a fused `in_proj_weight` (3W, W) and
 * `in_proj_bias`, scaled dot-product over heads, `out_proj`. Parameter names
 * are torch's, so checkpoints load without a converter.
 *
 * The graph is plain ONNX (reshapes, transposes, two MatMuls and a Softmax),
 * which exports and differentiates as it is. It also marks the projection and
 * the heads as a {@link Fusion}: an inference session on ONNX Runtime's CPU
 * provider runs them as `com.microsoft.MultiHeadAttention`, one kernel that
 * adds the projection's bias, splits the heads and does the softmax in place
 * (core/runtime/fusion_pass.ts; bench/README.md, "fp32 lead").
 * @module
 */
import { type Fusion, type Graph, int, type Value } from "../graph/graph.ts";
import { f32, matmul, mul, reshape, slice, softmax, split, transpose } from "../ops/mod.ts";
import { linear, timesTransposed } from "./linear.ts";

/**
 * Full bidirectional self-attention over x (B, L, W). With `queryRows` [start, end), only those
 * positions ask (B, end − start, W): every position is still a key and a value, so their outputs are
 * the same as in the full attention (a last block whose other positions nobody reads).
 */
export function multiheadAttention(
  g: Graph,
  x: Value,
  width: number,
  heads: number,
  queryRows?: readonly [number, number],
): Value {
  const w = g.param("in_proj_weight", [3 * width, width]);
  const bias = g.param("in_proj_bias", [3 * width]);
  const ctx = attentionHeads(g, x, w, bias, heads, queryRows);
  const fusion: Fusion = {
    kind: "attention",
    inputs: [x, w, bias],
    outputs: [ctx],
    build: (g, [x, w, bias]) => [fusedAttentionHeads(g, x, w, bias, heads, queryRows)],
  };
  g.fusions.push(fusion);
  return g.scope("out_proj", () => linear(g, ctx, width, width));
}

/** The heads before `out_proj`, (B, Lq, W), in plain ONNX ops. */
function attentionHeads(
  g: Graph,
  x: Value,
  w: Value,
  bias: Value,
  heads: number,
  queryRows?: readonly [number, number],
): Value {
  const [b, l] = x.shape;
  const width = w.shape[1] as number;
  const hd = width / heads;
  const qkv = timesTransposed(g, x, w, bias);
  const parts = split(g, qkv, -1, [width, width, width]);
  if (queryRows) parts[0] = slice(g, parts[0], 1, ...queryRows);
  const lq = queryRows ? queryRows[1] - queryRows[0] : l;
  const [q, k, v] = parts.map((t, i) =>
    transpose(g, reshape(g, t, [b, i ? l : lq, heads, hd]), [0, 2, 1, 3])
  );
  // torch scales q by 1/sqrt(head_dim) before the product.
  const qs = mul(g, q, g.constant(f32([], [1 / Math.sqrt(hd)]), "scale"));
  const att = softmax(g, matmul(g, qs, transpose(g, k, [0, 1, 3, 2])), -1);
  return reshape(g, transpose(g, matmul(g, att, v), [0, 2, 1, 3]), [b, lq, width]);
}

/**
 * The same heads as ONNX Runtime's contrib kernel: the projection without its bias, then
 * MultiHeadAttention(q, k, v, bias) (its default scale is 1/sqrt(head_dim), as torch's).
 */
function fusedAttentionHeads(
  g: Graph,
  x: Value,
  w: Value,
  bias: Value,
  heads: number,
  queryRows?: readonly [number, number],
): Value {
  const width = w.shape[1] as number;
  const [q, k, v] = split(g, timesTransposed(g, x, w), -1, [width, width, width]);
  const query = queryRows ? slice(g, q, 1, ...queryRows) : q;
  return g.addNode("MultiHeadAttention", [query, k, v, bias], { num_heads: int(heads) }, [{
    dtype: x.dtype,
    shape: [x.shape[0], query.shape[1], width],
  }], "com.microsoft")[0];
}
