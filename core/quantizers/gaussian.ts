/**
 * Diagonal Gaussian posterior (VAE, https://arxiv.org/abs/1312.6114; LDM's
 * `DiagonalGaussianDistribution`): the parameters split into mean and
 * log-variance along `axis` (the channel axis 1 in TiTok, the last axis in
 * ElasticTok), log-variance clamped to [−30, 20].
 *
 * tok1d decodes the mean (the mode) by default (deterministic); sampling uses
 * explicit noise ε fed as an input, so a graph stays a pure function. The
 * "indices" of a continuous latent are the latent itself.
 *
 * @example
 * ```ts
 * const q = gaussianQuantize(g, raw, { axis: 1 });          // raw (B,2C,1,K) → mean (B,C,1,K)
 * const s = gaussianQuantize(g, raw, { axis: 1, noise });   // mean + std·ε
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, clip, exp, f32, mul, reduceMean, reduceSum, split, sub } from "../ops/mod.ts";
import type { QuantizeResult } from "./vq.ts";

/** The posterior's pieces as graph values. */
export interface Gaussian {
  mean: Value;
  logvar: Value;
  std: Value;
}

/** Splits `params` into mean ‖ logvar along `axis`. */
export function gaussianPosterior(g: Graph, params: Value, axis: number): Gaussian {
  const d = params.shape[axis < 0 ? axis + params.shape.length : axis] as number;
  const [mean, raw] = split(g, params, axis, [d / 2, d / 2]);
  const logvar = clip(g, raw, -30, 20);
  const std = exp(g, mul(g, logvar, g.constant(f32([], [0.5]), "half")));
  return { mean, logvar, std };
}

/** mean + std·ε. */
export function gaussianSample(g: Graph, p: Gaussian, noise: Value): Value {
  return add(g, p.mean, mul(g, p.std, noise));
}

/** ½·Σ(μ² + σ² − 1 − log σ²) over `axes`. */
export function gaussianKl(g: Graph, p: Gaussian, axes: number[]): Value {
  const variance = exp(g, p.logvar);
  const terms = sub(
    g,
    sub(g, add(g, mul(g, p.mean, p.mean), variance), g.constant(f32([], [1]), "one")),
    p.logvar,
  );
  return mul(g, reduceSum(g, terms, axes, false), g.constant(f32([], [0.5]), "half"));
}

/** Options of {@link gaussianQuantize}. */
export interface GaussianOptions {
  /** Axis holding mean ‖ logvar. */
  axis: number;
  /** ε with the mean's shape: sample mean + std·ε instead of taking the mode. */
  noise?: Value;
}

/**
 * The uniform quantizer return for a Gaussian bottleneck: `quantized` = mode
 * (or a sample with `noise`), `indices` = the same continuous latent, and
 * `kl_loss` = KL summed over every axis but the first, averaged over it
 * (TiTok's convention before its 1e−6 weight).
 */
export function gaussianQuantize(g: Graph, params: Value, o: GaussianOptions): QuantizeResult & Gaussian {
  const p = gaussianPosterior(g, params, o.axis);
  const z = o.noise ? gaussianSample(g, p, o.noise) : p.mean;
  const rest = p.mean.shape.map((_, i) => i).slice(1);
  const kl_loss = reduceMean(g, gaussianKl(g, p, rest), [0], false);
  return { ...p, quantized: z, indices: z, codes: z, losses: { quantizer_loss: kl_loss, kl_loss } };
}
