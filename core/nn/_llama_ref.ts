/**
 * Test-only plain-loop references for the LLaMA layers (no graph, float64
 * arithmetic): RMSNorm, interleaved RoPE, masked attention, SwiGLU and the
 * pre-norm block, written from the upstream formulas so the graph layers are
 * checked against an independent computation. Matrices are row-major
 * number[][]; dense weights are Flax kernels (in, out).
 *
 * @example
 * ```ts
 * const y = refRmsNorm([[3, 4]], [1, 1], 0); // [[0.8485…, 1.1313…]]
 * ```
 * @module
 */

/** Row-major matrix. */
export type Mat = number[][];

/** x·K for K of shape (in, out). */
export function refDense(x: Mat, k: Mat): Mat {
  return x.map((row) => k[0].map((_, j) => row.reduce((s, v, i) => s + v * k[i][j], 0)));
}

/** x / √(mean(x²) + ε) · w, row by row. */
export function refRmsNorm(x: Mat, w: number[], eps: number): Mat {
  return x.map((row) => {
    const ms = row.reduce((s, v) => s + v * v, 0) / row.length;
    return row.map((v, i) => (v / Math.sqrt(ms + eps)) * w[i]);
  });
}

/** Rotates each head's pairs (x[2i], x[2i+1]) of row r by position[r]·θ^(−2i/d). */
export function refRope(x: Mat, heads: number, positions: number[], theta: number): Mat {
  const d = x[0].length / heads;
  return x.map((row, r) =>
    row.map((_, c) => {
      const base = c - (c % 2);
      const i = (c % d - (c % d) % 2) / 2;
      const angle = positions[r] * theta ** (-(2 * i) / d);
      const [a, b] = [row[base], row[base + 1]];
      return c % 2 === 0
        ? a * Math.cos(angle) - b * Math.sin(angle)
        : a * Math.sin(angle) + b * Math.cos(angle);
    })
  );
}

/** SiLU. */
export const refSilu = (v: number): number => v / (1 + Math.exp(-v));

/** W₂(SiLU(W₁x) ⊙ W₃x). */
export function refSwiglu(x: Mat, w1: Mat, w2: Mat, w3: Mat): Mat {
  const gate = refDense(x, w1);
  const up = refDense(x, w3);
  return refDense(gate.map((row, r) => row.map((v, c) => refSilu(v) * up[r][c])), w2);
}

/** Attention weights of one block: Flax kernels (in, out). */
export interface RefAttention {
  wq: Mat;
  wk: Mat;
  wv: Mat;
  wo: Mat;
}

/** Multi-head attention over rows of x; mask[i][j] false hides key j from query i. */
export function refAttention(
  x: Mat,
  w: RefAttention,
  heads: number,
  mask: boolean[][] | undefined,
  rope?: { positions: number[]; theta: number },
): Mat {
  let q = refDense(x, w.wq);
  let k = refDense(x, w.wk);
  const v = refDense(x, w.wv);
  if (rope) {
    q = refRope(q, heads, rope.positions, rope.theta);
    k = refRope(k, heads, rope.positions, rope.theta);
  }
  const width = x[0].length;
  const d = width / heads;
  const ctx = x.map(() => new Array(width).fill(0));
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < x.length; i++) {
      const s = x.map((_, j) => {
        let dot = 0;
        for (let c = h * d; c < (h + 1) * d; c++) dot += q[i][c] * k[j][c];
        return mask && !mask[i][j] ? -Infinity : dot / Math.sqrt(d);
      });
      const m = Math.max(...s);
      const e = s.map((t) => Math.exp(t - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < x.length; j++) {
        for (let c = h * d; c < (h + 1) * d; c++) ctx[i][c] += (e[j] / z) * v[j][c];
      }
    }
  }
  return refDense(ctx, w.wo);
}

/** Weights of one pre-norm block. */
export interface RefBlock extends RefAttention {
  attnNorm: number[];
  ffnNorm: number[];
  w1: Mat;
  w2: Mat;
  w3: Mat;
}

/** x += Attn(RMSNorm(x)); x += SwiGLU(RMSNorm(x)). */
export function refBlock(
  x: Mat,
  w: RefBlock,
  heads: number,
  eps: number,
  mask: boolean[][] | undefined,
  rope?: { positions: number[]; theta: number },
): Mat {
  const a = refAttention(refRmsNorm(x, w.attnNorm, eps), w, heads, mask, rope);
  const mid = x.map((row, r) => row.map((v, c) => v + a[r][c]));
  const f = refSwiglu(refRmsNorm(mid, w.ffnNorm, eps), w.w1, w.w2, w.w3);
  return mid.map((row, r) => row.map((v, c) => v + f[r][c]));
}

/** Reshapes a flat array into rows of `cols`. */
export function rows(data: ArrayLike<number>, cols: number): Mat {
  return Array.from(
    { length: data.length / cols },
    (_, r) => Array.from(data).slice(r * cols, (r + 1) * cols),
  );
}
