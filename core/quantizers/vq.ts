/**
 * Vector quantisation by nearest codebook entry (VQ-VAE, https://arxiv.org/abs/1711.00937),
 * with optional L2-normalised inputs and codebook (TiTok, ViT-VQGAN
 * https://arxiv.org/abs/2110.04627), and soft dequantisation (the expected code
 * under softmax(logits), TiTok's stage-2 decoder). Codes sit on the last axis.
 *
 * Distances are ‖z‖² + ‖e‖² − 2 z·e and ties go to the first index, as torch.argmin.
 * The forward value of `quantized` is the code vector; its gradient passes
 * straight through to z: z + sg(e − z). Two loss conventions are in use:
 * - `beta: "commitment"` (TiTok, ALIT, VQ-VAE): commitment = β·mean((sg(e) − z)²),
 *   codebook = mean((e − sg(z))²);
 * - `beta: "codebook"` (taming's VectorQuantizer2 with legacy=True, BDD):
 *   commitment = mean((sg(e) − z)²), codebook = β·mean((e − sg(z))²).
 *
 * With `l2norm`, z is the normalised z everywhere (losses and straight-through), as upstream.
 * With `renormalise`, the forward sees the codebook rows L2-normalised while their gradient
 * reaches the stored rows unchanged (taming's in-place `.data` renormalisation at every
 * forward, which autograd does not see). With `entropy`, `losses.entropy_aux` is taming's
 * entropy regulariser (vq_entropy.ts; unweighted, not part of `quantizer_loss`).
 *
 * @example
 * ```ts
 * const o = { codebookSize: 4096, dim: 12, l2norm: true, commitment: 0.25 };
 * const q = g.scope("quantize", () => vqQuantize(g, z, o)); // z (B,1,K,12)
 * g.output(q.indices, "tokens"); // int64 (B,1,K)
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import {
  add,
  argmin,
  f32,
  gather,
  matmul,
  mul,
  reduceMean,
  reduceSum,
  softmax,
  stopGradient,
  sub,
  transpose,
} from "../ops/mod.ts";
import { l2normalize } from "./_l2.ts";
import { vqEntropyAux, type VqEntropyOptions } from "./vq_entropy.ts";

/** Configuration of a VQ layer; the codebook parameter is `embedding.weight` in the current scope. */
export interface VqOptions {
  codebookSize: number;
  dim: number;
  l2norm: boolean;
  /** β (0.25 in TiTok and taming). */
  commitment: number;
  /** The term β weighs (default "commitment", TiTok's convention; "codebook" is taming's). */
  beta?: "commitment" | "codebook";
  /** Normalise the codebook rows in the forward only (gradient straight through to the stored rows). */
  renormalise?: boolean;
  /** Build taming's entropy regulariser as `losses.entropy_aux` (training graphs). */
  entropy?: VqEntropyOptions;
}

/** Uniform quantizer return: the straight-through code vectors, int64 indices and loss terms. */
export interface QuantizeResult {
  /** Forward value = the codes; gradient = identity to the input (straight-through). */
  quantized: Value;
  indices: Value;
  /** Scalar loss terms by upstream name; `quantizer_loss` is their weighted sum. */
  losses: Record<string, Value>;
  /** The codes without the straight-through path (VQ: codebook rows, which carry the codebook's gradient). */
  codes: Value;
}

/** The layer's codebook (`embedding.weight` in the current scope), L2-normalised with `l2norm`. */
export function vqCodebook(g: Graph, o: VqOptions): Value {
  const e = g.scope("embedding", () => g.param("weight", [o.codebookSize, o.dim]));
  if (o.renormalise) return add(g, e, stopGradient(g, sub(g, l2normalize(g, e), e)));
  return o.l2norm ? l2normalize(g, e) : e;
}

const scalar = (g: Graph, v: number, hint: string) => g.constant(f32([], [v]), hint);

function meanSquare(g: Graph, d: Value): Value {
  return reduceMean(g, mul(g, d, d), d.shape.map((_, i) => i), false);
}

/** Squared distances ‖z‖² + ‖e‖² − 2 z·e of `zn` (…, dim) to every row: (…, codes). */
function distances(g: Graph, zn: Value, e: Value): Value {
  const zz = reduceSum(g, mul(g, zn, zn), [-1], true);
  const ee = reduceSum(g, mul(g, e, e), [-1], false);
  const ze = matmul(g, zn, transpose(g, e, [1, 0]));
  return sub(g, add(g, zz, ee), mul(g, ze, scalar(g, 2, "two")));
}

/** Nearest codebook rows of `zn` (already normalised when l2norm): int64 indices (…). */
function nearest(g: Graph, zn: Value, e: Value): Value {
  return argmin(g, distances(g, zn, e), -1);
}

/** Quantises z (…, dim) → straight-through codes (…, dim), int64 indices (…), losses. */
export function vqQuantize(g: Graph, z: Value, o: VqOptions): QuantizeResult {
  // Rounding and nearest-code choices stay float32 under --precision (core/runtime/precision.ts).
  return g.exact(() => vqQuantizeFloat32(g, z, o));
}

function vqQuantizeFloat32(g: Graph, z: Value, o: VqOptions): QuantizeResult {
  const e = vqCodebook(g, o);
  const zn = o.l2norm ? l2normalize(g, z) : z;
  const d = distances(g, zn, e);
  const indices = argmin(g, d, -1);
  const codes = gather(g, e, indices, 0);
  const commitTerm = meanSquare(g, sub(g, stopGradient(g, codes), zn));
  const bookTerm = meanSquare(g, sub(g, codes, stopGradient(g, zn)));
  const beta = scalar(g, o.commitment, "beta");
  const onCodebook = o.beta === "codebook";
  const commitment_loss = onCodebook ? commitTerm : mul(g, commitTerm, beta);
  const codebook_loss = onCodebook ? mul(g, bookTerm, beta) : bookTerm;
  return {
    quantized: add(g, zn, stopGradient(g, sub(g, codes, zn))),
    indices,
    codes,
    losses: {
      quantizer_loss: add(g, commitment_loss, codebook_loss),
      commitment_loss,
      codebook_loss,
      ...(o.entropy ? { entropy_aux: vqEntropyAux(g, d, o.entropy) } : {}),
    },
  };
}

/** Looks indices (…) up in the codebook → code vectors (…, dim). */
export function vqIndicesToCodes(g: Graph, indices: Value, o: VqOptions): Value {
  return gather(g, vqCodebook(g, o), indices, 0);
}

/** Code vectors (…, dim) → nearest indices (…): the inverse of {@link vqIndicesToCodes} on codebook rows. */
export function vqCodesToIndices(g: Graph, codes: Value, o: VqOptions): Value {
  // Rounding and nearest-code choices stay float32 under --precision (core/runtime/precision.ts).
  return g.exact(() => vqCodesToIndicesFloat32(g, codes, o));
}

function vqCodesToIndicesFloat32(g: Graph, codes: Value, o: VqOptions): Value {
  return nearest(g, o.l2norm ? l2normalize(g, codes) : codes, vqCodebook(g, o));
}

/**
 * Soft dequantisation: Σ_j softmax(logits)_j · codebook_j, the expected code
 * under the logits over `axis` (TiTok legacy stage 2: logits (B,1024,H,W),
 * axis 1, codebook (1024,256) → (B,256,H,W)). The code dim replaces `axis`.
 */
export function vqSoftCodes(g: Graph, logits: Value, codebook: Value, axis = -1): Value {
  const rank = logits.shape.length;
  const a = axis < 0 ? axis + rank : axis;
  const probs = softmax(g, logits, a);
  if (a === rank - 1) return matmul(g, probs, codebook);
  const toLast = [...Array(rank).keys()].filter((i) => i !== a).concat(a);
  const back = [...Array(rank).keys()].map((i) => (i < a ? i : i === a ? rank - 1 : i - 1));
  return transpose(g, matmul(g, transpose(g, probs, toLast), codebook), back);
}
