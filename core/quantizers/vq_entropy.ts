/**
 * The entropy regulariser of a VQ codebook (taming's
 * `VectorQuantizer2WithEntropyLoss.entropy_loss`, after MAGVIT-v2
 * https://arxiv.org/abs/2310.05737): with p = softmax(−distance·τ⁻¹) over the
 * codes of every position, aux = mean_positions H(p) − γ·H(mean_positions p),
 * H(p) = −Σ p·log(max(p, 1e−5)). Low per-position entropy makes assignments
 * confident; high entropy of the average spreads them over the codebook.
 * Gradients reach the inputs and the codebook through the distances.
 *
 * @example
 * ```ts
 * const aux = vqEntropyAux(g, distances, { inverseTemperature: 100, gamma: 1 }); // distances (N, codes)
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { clip, f32, log, mul, reduceMean, reduceSum, softmax, sub } from "../ops/mod.ts";

/** Settings of the entropy regulariser (taming: τ⁻¹ = 100, γ = `diversity_gamma` 1.0). */
export interface VqEntropyOptions {
  inverseTemperature: number;
  gamma: number;
}

const scalar = (g: Graph, v: number, hint: string) => g.constant(f32([], [v]), hint);

/** −Σ p·log(max(p, 1e−5)) over the last axis (taming's `entropy` with its clamped `log`). */
export function entropyOf(g: Graph, p: Value): Value {
  const logp = log(g, clip(g, p, 1e-5, 3.4e38));
  return mul(g, reduceSum(g, mul(g, p, logp), [-1], false), scalar(g, -1, "neg"));
}

/** Per-position entropy minus γ·the entropy of the average, from distances (…, codes). */
export function vqEntropyAux(g: Graph, distances: Value, o: VqEntropyOptions): Value {
  const p = softmax(g, mul(g, distances, scalar(g, -o.inverseTemperature, "neg_inv_temperature")), -1);
  const lead = p.shape.slice(0, -1).map((_, i) => i);
  const perSample = reduceMean(g, entropyOf(g, p), lead, false);
  const codebook = entropyOf(g, reduceMean(g, p, lead, false));
  return sub(g, perSample, mul(g, codebook, scalar(g, o.gamma, "gamma")));
}
