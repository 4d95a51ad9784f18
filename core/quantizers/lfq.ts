/**
 * Multi-depth lookup-free quantisation, MARVEL's quantizer (PadrickLeee/MDQ,
 * `LookupFreeQuantizer`; LFQ from MAGVIT-v2, https://arxiv.org/abs/2310.05737).
 * Codes sit on the last axis (`bits` channels).
 *
 * Depth d = 0..D−1 quantises the residual r_d = z − Σ_{e<d} q_e to
 * q_d = 2^−d·(+1 where r_d > 0 else −1) (so sign(0) = −1), and its index is
 * Σ_i [q_{d,i} > 0]·2^i (channel 0 is the least significant bit, MARVEL's
 * order). The code is Σ_d q_d: per channel a 2^D-level uniform quantiser, which
 * a prefix of depths reads coarse-to-fine. The forward value passes straight
 * through to z: z + sg(Σ q − z).
 *
 * Losses as upstream: commitment = mean over depths of β·mean((sg(q_d) − r_d)²);
 * entropy (only built with `entropy: true`, as upstream computes it only in
 * training mode; without it `quantizer_loss` is the commitment alone) = w·(per_sample − γ·avg), where p = softmax(2·r_d·Cᵀ/τ) over
 * the 2^bits ±1 codes C (unscaled by 2^−d), pooled over every position and
 * depth, per_sample = mean H(p), avg = H(mean p), logs clamped at 1e−5.
 * `avg_entropy` is reported already multiplied by γ, as upstream.
 *
 * @example
 * ```ts
 * const o = { bits: 12, depth: 4, commitment: 0.25, entropyWeight: 0.02, temperature: 0.01, gamma: 1 };
 * const q = lfqQuantize(g, z, o);            // z (B,1,K,12)
 * g.output(q.indices, "tokens");             // int64 (B,1,K,4)
 * const coarse = lfqIndicesToCodes(g, slice(g, q.indices, -1, 0, 2), o); // 2 depths of 4
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import {
  add,
  cast,
  clip,
  concat,
  div,
  f32,
  greater,
  log,
  matmul,
  mul,
  reduceMean,
  reduceSum,
  softmax,
  stopGradient,
  sub,
  t,
  unsqueeze,
  where,
} from "../ops/mod.ts";
import type { QuantizeResult } from "./vq.ts";

/** Configuration of a multi-depth LFQ layer (it has no parameters). */
export interface LfqOptions {
  /** Channels = bits per depth (MARVEL: token_size 12). */
  bits: number;
  /** Number of depths D (MARVEL-L-32×D: 1, 2 or 4). */
  depth: number;
  /** β on the commitment term (0.25 in stage 1). */
  commitment: number;
  /** Entropy loss weight (MARVEL's config: 0.02; upstream's class default 0.1). */
  entropyWeight: number;
  /** Softmax temperature of the entropy loss (0.01). */
  temperature: number;
  /** γ on the codebook (average) entropy (1.0). */
  gamma: number;
  /** Build the entropy terms (training graphs); they are zero otherwise. */
  entropy?: boolean;
}

const scalar = (g: Graph, v: number, hint = "c") => g.constant(f32([], [v]), hint);
const meanAll = (g: Graph, v: Value) => reduceMean(g, v, v.shape.map((_, i) => i), false);

/** Codebook size per depth, 2^bits. */
export function lfqCodebookSize(o: Pick<LfqOptions, "bits">): number {
  return 2 ** o.bits;
}

/** The implicit codebook (2^bits, bits) of ±1 codes: entry k has +1 on channel i iff bit i of k is set. */
export function lfqCodebook(bits: number): Float32Array {
  const n = 2 ** bits;
  const out = new Float32Array(n * bits);
  for (let k = 0; k < n; k++) for (let i = 0; i < bits; i++) out[k * bits + i] = (k >> i) & 1 ? 1 : -1;
  return out;
}

/** Σ_i [q_i > 0]·2^i over the last axis → int64 (…). */
function bitsToIndex(g: Graph, q: Value, bits: number): Value {
  const positive = cast(g, greater(g, q, scalar(g, 0, "zero")), "float32");
  const weights = g.constant(f32([bits, 1], Array.from({ length: bits }, (_, i) => 2 ** i)), "pow2");
  // Exact in float32 up to 24 bits.
  return cast(g, reduceSum(g, matmul(g, positive, weights), [-1], false), "int64");
}

/** The residual decomposition: per-depth residuals, codes and indices. */
function decompose(g: Graph, z: Value, o: LfqOptions) {
  const residuals: Value[] = [];
  const codes: Value[] = [];
  const indices: Value[] = [];
  let sum: Value | undefined;
  for (let d = 0; d < o.depth; d++) {
    const r = sum ? sub(g, z, sum) : z;
    const s = 2 ** -d;
    const q = where(g, greater(g, r, scalar(g, 0, "zero")), scalar(g, s, "plus"), scalar(g, -s, "minus"));
    residuals.push(r);
    codes.push(q);
    indices.push(unsqueeze(g, bitsToIndex(g, q, o.bits), [-1]));
    sum = sum ? add(g, sum, q) : q;
  }
  return { residuals, codes, indices: o.depth === 1 ? indices[0] : concat(g, indices, -1), sum: sum! };
}

/** −Σ p·log(max(p, 1e−5)) over the last axis. */
function entropy(g: Graph, p: Value): Value {
  const logp = log(g, clip(g, p, 1e-5, 3.4e38));
  return mul(g, reduceSum(g, mul(g, p, logp), [-1], false), scalar(g, -1, "neg"));
}

/** MDQ's entropy terms over all depths: per-sample entropy and γ·entropy of the mean. */
function entropyTerms(g: Graph, residuals: Value[], o: LfqOptions) {
  const n = 2 ** o.bits;
  const book = g.constant(
    { dtype: "float32", shape: [o.bits, n], data: transposed(o.bits) },
    "lfq_codebook_t",
  );
  const perDepth = residuals.map((r) =>
    softmax(g, mul(g, matmul(g, r, book), scalar(g, 2 / o.temperature)), -1)
  );
  // Every depth has the same number of positions, so means of per-depth means are the pooled means.
  const perSample = perDepth.map((p) => meanAll(g, entropy(g, p))).reduce((a, b) => add(g, a, b));
  const avgProbs = perDepth
    .map((p) => reduceMean(g, p, p.shape.slice(0, -1).map((_, i) => i), false))
    .reduce((a, b) => add(g, a, b));
  const inv = scalar(g, 1 / o.depth, "inv_depth");
  const per_sample_entropy = mul(g, perSample, inv);
  const avg_entropy = mul(g, entropy(g, mul(g, avgProbs, inv)), scalar(g, o.gamma, "gamma"));
  const entropy_loss = mul(g, sub(g, per_sample_entropy, avg_entropy), scalar(g, o.entropyWeight, "w"));
  return { entropy_loss, per_sample_entropy, avg_entropy };
}

function transposed(bits: number): Float32Array {
  const book = lfqCodebook(bits);
  const n = 2 ** bits;
  const out = new Float32Array(n * bits);
  for (let k = 0; k < n; k++) for (let i = 0; i < bits; i++) out[i * n + k] = book[k * bits + i];
  return out;
}

/** Quantises z (…, bits) at `depth` depths → straight-through codes (…, bits), int64 indices (…, D), losses. */
export function lfqQuantize(g: Graph, z: Value, o: LfqOptions): QuantizeResult {
  // Rounding and nearest-code choices stay float32 under --precision (core/runtime/precision.ts).
  return g.exact(() => lfqQuantizeFloat32(g, z, o));
}

function lfqQuantizeFloat32(g: Graph, z: Value, o: LfqOptions): QuantizeResult {
  const { residuals, codes, indices, sum } = decompose(g, z, o);
  const terms = residuals.map((r, d) => {
    const diff = sub(g, stopGradient(g, codes[d]), r);
    return meanAll(g, mul(g, diff, diff));
  });
  const commitment_loss = mul(
    g,
    terms.reduce((a, b) => add(g, a, b)),
    scalar(g, o.commitment / o.depth, "beta_over_depth"),
  );
  const ent = o.entropy ? entropyTerms(g, residuals, o) : undefined;
  const losses = ent
    ? { quantizer_loss: add(g, ent.entropy_loss, commitment_loss), commitment_loss, ...ent }
    : { quantizer_loss: commitment_loss, commitment_loss };
  return {
    quantized: add(g, z, stopGradient(g, sub(g, sum, z))),
    indices,
    codes: sum,
    losses,
  };
}

/**
 * Indices (…, d) of the first d ≤ D depths → codes Σ_{i<d} 2^−i·(2·bits(index_i) − 1), shape (…, bits).
 * An index below 0 marks a depth that was not sent: it contributes nothing.
 */
export function lfqIndicesToCodes(g: Graph, indices: Value, o: Pick<LfqOptions, "bits">): Value {
  const d = indices.shape.at(-1) as number;
  const idx = unsqueeze(g, indices, [-1]); // (…, d, 1)
  const pow2 = g.constant(t("int64", [o.bits], Array.from({ length: o.bits }, (_, i) => 2 ** i)), "pow2");
  const two = g.constant(t("int64", [], [2]), "two");
  const shifted = div(g, idx, pow2); // (…, d, bits): index >> i
  const bit = cast(g, sub(g, shifted, mul(g, div(g, shifted, two), two)), "float32");
  const scales = g.constant(f32([d, 1], Array.from({ length: d }, (_, i) => 2 ** -i)), "depth_scale");
  const signed = mul(g, sub(g, mul(g, bit, scalar(g, 2, "two_f")), scalar(g, 1, "one")), scales);
  const present = greater(g, idx, g.constant(t("int64", [], [-1]), "minus_one"));
  return reduceSum(g, where(g, present, signed, scalar(g, 0, "zero")), [-2], false);
}

/** Codes (…, bits) that are sums of D depths → their indices (…, D); inverse of {@link lfqIndicesToCodes}. */
export function lfqCodesToIndices(g: Graph, codes: Value, o: Pick<LfqOptions, "bits" | "depth">): Value {
  // Rounding and nearest-code choices stay float32 under --precision (core/runtime/precision.ts).
  return g.exact(() => lfqCodesToIndicesFloat32(g, codes, o));
}

function lfqCodesToIndicesFloat32(g: Graph, codes: Value, o: Pick<LfqOptions, "bits" | "depth">): Value {
  return decompose(g, codes, { ...o, commitment: 0, entropyWeight: 0, temperature: 1, gamma: 1 }).indices;
}
