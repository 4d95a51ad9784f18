/**
 * Diagonal Gaussian posterior (VAE, https://arxiv.org/abs/1312.6114; LDM's
 * `DiagonalGaussianDistribution`): the parameters split into mean and
 * log-variance along `axis`, log-variance clamped to [−30, 20].
 *
 * tok1d decodes the mean by default (deterministic); `sample` uses explicit
 * noise ε fed as an input, so a graph stays a pure function.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, clip, exp, f32, mul, reduceSum, split, sub } from "../ops/mod.ts";

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
