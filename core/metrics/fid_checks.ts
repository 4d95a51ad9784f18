/**
 * Honest FID: flags a Fréchet distance that means nothing because the
 * features it compares are near-constant — a degenerate Inception network
 * (wrong or damaged weights) or blank/identical images — instead of letting
 * it print `rFID: 0.0000`. A collection's spread is its total feature
 * variance relative to its mean's squared norm; real Inception pool3
 * features of photos sit around 0.1–0.5, seeded random weights about 0.09,
 * near-constant ones below 1e-6.
 * @module
 */
import type { Gaussian } from "./frechet.ts";

/** Relative spread below which a collection's features count as near-constant. */
export const MIN_FEATURE_SPREAD = 1e-6;

/** tr Σ / (‖μ‖² + tr Σ): 0 for constant features (and for a collection of one image). */
export function featureSpread(g: Gaussian): number {
  const d = g.mu.length;
  let mean = 0, trace = 0;
  for (let i = 0; i < d; i++) {
    mean += g.mu[i] ** 2;
    trace += g.sigma[i * d + i];
  }
  const total = mean + trace;
  return total > 0 && Number.isFinite(total) ? trace / total : 0;
}

/** Why a distance between `a` and `b` is not meaningful, or undefined when both spread. */
export function degenerateFeatures(
  a: Gaussian,
  b: Gaussian,
  names = ["first", "second"],
): string | undefined {
  const spreads = [featureSpread(a), featureSpread(b)];
  const flat = names.filter((_, i) => !(spreads[i] >= MIN_FEATURE_SPREAD));
  if (!flat.length) return undefined;
  return `the Inception features of ${flat.join(" and ")} are near-constant (relative variance ${
    spreads.map((s) => s.toExponential(1)).join(" and ")
  }, below ${MIN_FEATURE_SPREAD}): a degenerate Inception network (wrong or damaged weights) or blank/identical ` +
    `images; this FID is not meaningful`;
}
