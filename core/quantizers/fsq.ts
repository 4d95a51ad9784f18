/**
 * Finite scalar quantisation (FSQ, https://arxiv.org/abs/2309.15505) as
 * ElasticTok uses it (LargeWorldModel/ElasticTok, `elastic/bottleneck.py`).
 * Codes sit on the last axis, one channel per entry of `levels`.
 *
 * Per channel with L levels: half_l = (L − 1)(1 − ε)/2 (ε = 1e−3), offset = ½
 * for even L else 0, shift = tan(offset / half_l) (ElasticTok's choice; the
 * paper's code uses atanh, 0.143987 vs 0.143983 here);
 * bounded = tanh(z + shift)·half_l − offset; q = round(bounded) with a
 * straight-through gradient (ties to even); code = q / ⌊L/2⌋ ∈ [−1, 1].
 * Index = Σ_i (q_i + ⌊L_i/2⌋)·basis_i with basis = cumprod([1, L_0, L_1, …]);
 * the digit is rounded before the sum (upstream truncates a float product,
 * which agrees whenever ⌊L/2⌋ is a power of two, as in every released config).
 * FSQ has no auxiliary loss. Indices are int64 here (ElasticTok stores uint32).
 *
 * @example
 * ```ts
 * const o = { levels: [8, 8, 8, 5, 5, 5] };
 * const q = fsqQuantize(g, z, o);            // z (B,L,6) → indices int64 (B,L) in [0, 64000)
 * const back = fsqIndicesToCodes(g, q.indices, o); // equals q.codes
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import {
  add,
  cast,
  div,
  f32,
  mul,
  reduceSum,
  round,
  stopGradient,
  sub,
  t,
  tanh,
  unsqueeze,
} from "../ops/mod.ts";
import type { QuantizeResult } from "./vq.ts";

/** Configuration of an FSQ layer (it has no parameters). */
export interface FsqOptions {
  /** Levels per channel, e.g. ElasticTok's [8, 8, 8, 5, 5, 5]. */
  levels: number[];
  /** Shrinks the tanh bound so the outer levels are reachable but not exceeded (1e−3). */
  eps?: number;
}

/** Number of codes, Π levels. */
export function fsqCodebookSize(o: FsqOptions): number {
  return o.levels.reduce((a, b) => a * b, 1);
}

/** Mixed-radix basis: cumprod([1, L_0, …, L_{n−2}]). */
export function fsqBasis(o: FsqOptions): number[] {
  const out = [1];
  for (const l of o.levels.slice(0, -1)) out.push(out.at(-1)! * l);
  return out;
}

const halfWidths = (o: FsqOptions) => o.levels.map((l) => Math.floor(l / 2));
const vec = (g: Graph, values: number[], hint: string) => g.constant(f32([values.length], values), hint);

/** tanh(z + shift)·half_l − offset: each channel in (−⌊L/2⌋ − ½, ⌊L/2⌋ + ½) before rounding. */
export function fsqBound(g: Graph, z: Value, o: FsqOptions): Value {
  const eps = o.eps ?? 1e-3;
  const halfL = o.levels.map((l) => ((l - 1) * (1 - eps)) / 2);
  const offset = o.levels.map((l) => (l % 2 === 1 ? 0 : 0.5));
  const shift = offset.map((v, i) => Math.tan(v / halfL[i]));
  const bounded = mul(g, tanh(g, add(g, z, vec(g, shift, "fsq_shift"))), vec(g, halfL, "fsq_half_l"));
  return sub(g, bounded, vec(g, offset, "fsq_offset"));
}

/** Quantises z (…, n) → straight-through normalised codes (…, n), int64 indices (…); no loss terms. */
export function fsqQuantize(g: Graph, z: Value, o: FsqOptions): QuantizeResult {
  // Rounding and nearest-code choices stay float32 under --precision (core/runtime/precision.ts).
  return g.exact(() => fsqQuantizeFloat32(g, z, o));
}

function fsqQuantizeFloat32(g: Graph, z: Value, o: FsqOptions): QuantizeResult {
  const bounded = fsqBound(g, z, o);
  const q = add(g, bounded, stopGradient(g, sub(g, round(g, bounded), bounded)));
  const quantized = div(g, q, vec(g, halfWidths(o), "fsq_half_width"));
  return { quantized, indices: fsqCodesToIndices(g, quantized, o), codes: quantized, losses: {} };
}

/** Normalised codes (…, n) → int64 indices (…). */
export function fsqCodesToIndices(g: Graph, codes: Value, o: FsqOptions): Value {
  // Rounding and nearest-code choices stay float32 under --precision (core/runtime/precision.ts).
  return g.exact(() => fsqCodesToIndicesFloat32(g, codes, o));
}

function fsqCodesToIndicesFloat32(g: Graph, codes: Value, o: FsqOptions): Value {
  const hw = vec(g, halfWidths(o), "fsq_half_width");
  const digits = cast(g, round(g, add(g, mul(g, codes, hw), hw)), "int64");
  const basis = g.constant(t("int64", [o.levels.length], fsqBasis(o)), "fsq_basis");
  return reduceSum(g, mul(g, digits, basis), [-1], false);
}

/** int64 indices (…) → normalised codes (…, n): digit_i = ⌊index / basis_i⌋ mod L_i, code = (digit − h)/h. */
export function fsqIndicesToCodes(g: Graph, indices: Value, o: FsqOptions): Value {
  const idx = unsqueeze(g, indices, [-1]);
  const basis = fsqBasis(o);
  const lo = div(g, idx, g.constant(t("int64", [basis.length], basis), "fsq_basis"));
  const hi = div(
    g,
    idx,
    g.constant(t("int64", [basis.length], basis.map((b, i) => b * o.levels[i])), "fsq_next"),
  );
  const digits = sub(g, lo, mul(g, hi, g.constant(t("int64", [basis.length], o.levels), "fsq_levels")));
  const hw = vec(g, halfWidths(o), "fsq_half_width");
  return div(g, sub(g, cast(g, digits, "float32"), hw), hw);
}
