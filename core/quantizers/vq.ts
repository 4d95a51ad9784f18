/**
 * Vector quantisation by nearest codebook entry (VQ-VAE, https://arxiv.org/abs/1711.00937),
 * with optional L2-normalised inputs and codebook (TiTok, ViT-VQGAN
 * https://arxiv.org/abs/2110.04627). Codes sit on the last axis.
 *
 * Distances are ‖z‖² + ‖e‖² − 2 z·e and ties go to the first index, as torch.argmin.
 * Losses (TiTok/ALIT convention): commitment = β·mean((sg(z_q) − z)²),
 * codebook = mean((z_q − sg(z))²); in the forward pass both equal mean((z_q − z)²)
 * up to β, which is all inference needs.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, argmin, f32, gather, matmul, mul, reduceMean, reduceSum, sub, transpose } from "../ops/mod.ts";
import { l2normalize } from "./_l2.ts";

/** Configuration of a VQ layer; the codebook parameter is `embedding.weight` in the current scope. */
export interface VqOptions {
  codebookSize: number;
  dim: number;
  l2norm: boolean;
  /** β on the commitment term (0.25 in TiTok). */
  commitment: number;
}

/** Uniform quantizer return: the straight-through code vectors, indices and loss terms. */
export interface QuantizeResult {
  quantized: Value;
  indices: Value;
  losses: Record<string, Value>;
}

function codebook(g: Graph, o: VqOptions): Value {
  const e = g.scope("embedding", () => g.param("weight", [o.codebookSize, o.dim]));
  return o.l2norm ? l2normalize(g, e) : e;
}

/** Quantises z (…, dim) → code vectors (…, dim), int64 indices (…), losses. */
export function vqQuantize(g: Graph, z: Value, o: VqOptions): QuantizeResult {
  const e = codebook(g, o);
  const zn = o.l2norm ? l2normalize(g, z) : z;
  const zz = reduceSum(g, mul(g, zn, zn), [-1], true);
  const ee = reduceSum(g, mul(g, e, e), [-1], false);
  const ze = matmul(g, zn, transpose(g, e, [1, 0]));
  const d = sub(g, add(g, zz, ee), mul(g, ze, g.constant(f32([], [2]), "two")));
  const indices = argmin(g, d, -1);
  const quantized = gather(g, e, indices, 0);
  const all = Array.from({ length: z.shape.length }, (_, i) => i);
  const mse = reduceMean(g, mul(g, sub(g, quantized, zn), sub(g, quantized, zn)), all, false);
  return {
    quantized,
    indices,
    losses: {
      commitment_loss: mul(g, mse, g.constant(f32([], [o.commitment]), "beta")),
      codebook_loss: mse,
    },
  };
}

/** Looks indices (…) up in the codebook → code vectors (…, dim). */
export function vqIndicesToCodes(g: Graph, indices: Value, o: VqOptions): Value {
  return gather(g, codebook(g, o), indices, 0);
}

/** Code vectors (…, dim) → nearest indices (…): the inverse of {@link vqIndicesToCodes} on codebook rows. */
export function vqCodesToIndices(g: Graph, codes: Value, o: VqOptions): Value {
  return vqQuantize(g, codes, o).indices;
}
