/**
 * Rotary position embedding (RoPE) in the convention of LLaMA's original
 * code and ElasticTok (`elastic/model.py`: `precompute_freqs_cis`,
 * `apply_rotary_emb`):
 *
 * - **interleaved pairs**: feature pairs (x[2i], x[2i+1]) of each head are
 *   rotated as the complex number x[2i] + i·x[2i+1] (not the half-split
 *   "rotate_half" pairing of HF's LLaMA port);
 * - frequency i = 1 / θ^(2i/d) for i < d/2 (d = head dim), computed in
 *   float32; angle = float32(position · frequency);
 * - positions are the sequence's `position_ids`, 0…L−1 over the whole
 *   sequence of blocks (frames follow one another, no reset per block); a
 *   block decoded against a cache uses its global positions.
 *
 * Host code builds the cos/sin tables ({@link ropeTable}); the graph either
 * takes them as inputs or gathers rows of an embedded table by position
 * ({@link ropeGather}), as upstream gathers `freqs_cis` by `position_ids`.
 * No Sin/Cos op is needed.
 *
 * @example
 * ```ts
 * const { cos, sin } = ropeTable([0, 1, 2, 3], 8, 10000); // (4, 4) each
 * const g = new Graph("demo");
 * const q = g.input("q", "float32", [1, 4, 2, 8]); // (B, L, heads, head dim)
 * const rotated = applyRope(g, q, g.constant(cos), g.constant(sin));
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, concat, gather, mul, reshape, split, sub } from "../ops/mod.ts";
import type { Tensor } from "../tensor.ts";

/** Inverse frequencies 1/θ^(2i/d), i < d/2, rounded to float32 at each step as upstream's numpy does. */
export function ropeFrequencies(headDim: number, theta: number): Float32Array {
  if (headDim % 2) throw new Error(`RoPE needs an even head dim, got ${headDim}`);
  const out = new Float32Array(headDim / 2);
  for (let i = 0; i < headDim / 2; i++) {
    const exponent = Math.fround((2 * i) / headDim);
    out[i] = Math.fround(1 / Math.fround(theta ** exponent));
  }
  return out;
}

/** cos and sin of float32(position · frequency), each (positions, headDim/2) float32. */
export function ropeTable(
  positions: readonly number[],
  headDim: number,
  theta: number,
): { cos: Tensor<"float32">; sin: Tensor<"float32"> } {
  const freqs = ropeFrequencies(headDim, theta);
  const half = headDim / 2;
  const cos = new Float32Array(positions.length * half);
  const sin = new Float32Array(positions.length * half);
  positions.forEach((p, r) => {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * freqs[i]);
      cos[r * half + i] = Math.cos(angle);
      sin[r * half + i] = Math.sin(angle);
    }
  });
  const shape = [positions.length, half];
  return {
    cos: { dtype: "float32", shape, data: cos },
    sin: { dtype: "float32", shape: [...shape], data: sin },
  };
}

/**
 * Embeds the tables of positions 0…maxLength−1 and gathers the rows of
 * `positions` (int64, (L) or (B, L)): cos/sin of shape (…, headDim/2).
 */
export function ropeGather(
  g: Graph,
  positions: Value,
  maxLength: number,
  headDim: number,
  theta: number,
): { cos: Value; sin: Value } {
  const t = ropeTable(Array.from({ length: maxLength }, (_, i) => i), headDim, theta);
  return {
    cos: gather(g, g.constant(t.cos, "rope_cos"), positions, 0),
    sin: gather(g, g.constant(t.sin, "rope_sin"), positions, 0),
  };
}

/**
 * Rotates x (B, L, heads, d) by the per-position angles: cos/sin of shape
 * (L, d/2) or (B, L, d/2). Pair (a, b) = (x[2i], x[2i+1]) becomes
 * (a·cos − b·sin, a·sin + b·cos).
 */
export function applyRope(g: Graph, x: Value, cos: Value, sin: Value): Value {
  const [b, l, h, d] = x.shape;
  if (typeof d !== "number" || d % 2) throw new Error(`applyRope: head dim ${d} must be a known even number`);
  const half = d / 2;
  const lead = cos.shape.length === 3 ? [cos.shape[0], cos.shape[1]] : [cos.shape[0]];
  // (…, L, 1, d/2, 1): broadcast over heads and over the pair axis.
  const table = (t: Value) => reshape(g, t, [...lead, 1, half, 1]);
  const [c, s] = [table(cos), table(sin)];
  const pairs = reshape(g, x, [b, l, h, half, 2]);
  const [re, im] = split(g, pairs, -1, [1, 1]);
  const outRe = sub(g, mul(g, re, c), mul(g, im, s));
  const outIm = add(g, mul(g, re, s), mul(g, im, c));
  return reshape(g, concat(g, [outRe, outIm], -1), [b, l, h, d]);
}
