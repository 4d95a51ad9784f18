/**
 * TiTok's perceptual loss (1d-tokenizer `PerceptualLoss`), named by
 * upstream's model string: `"lpips"` (LPIPS-VGG16), `"convnext_s"` (MSE of
 * ConvNeXt-S logits) or `"lpips-convnext_s-<a>-<b>"`, the weighted average
 * (a·LPIPS + b·ConvNeXt)/(a + b). Stage 2 uses `convnext_s` (weight 0.1),
 * the single-stage recipe `lpips-convnext_s-1.0-0.1` (weight 1.1).
 *
 * `lpips` sets the LPIPS input range (core/losses/lpips.ts; default: [0, 1] mapped to [-1, 1]).
 * The loss is a scalar: LPIPS is averaged over the batch, as the training
 * loss's `.mean()` does upstream. Images are in [0, 1]. The real image is
 * wrapped in a stop-gradient, so a gradient flows only into the
 * reconstruction, and every parameter lives under `perceptual.`
 * (`perceptual.lpips.net.features.0.weight`, `perceptual.lpips.lin0.model.1.weight`,
 * `perceptual.convnext.features.0.0.weight`): a train step keeps them frozen.
 *
 * @example
 * ```ts
 * const loss = perceptualLoss(g, image, reconstruction, "lpips-convnext_s-1.0-0.1");
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { UsageError } from "../errors.ts";
import { add, div, f32, mul, reduceMean, stopGradient } from "../ops/mod.ts";
import { convnextLogitsLoss } from "./convnext_logits.ts";
import { lpipsDistance, type LpipsOptions } from "./lpips.ts";

/** Scope of every perceptual-loss parameter. */
export const PERCEPTUAL_SCOPE = "perceptual";

/** The parsed model string: the weight of each term present. */
export interface PerceptualSpec {
  lpips?: number;
  convnext?: number;
}

const NUMBER = String.raw`[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?`;
const COMBINED = new RegExp(`^lpips-convnext_s-(${NUMBER})-(${NUMBER})$`);

/**
 * Parses upstream's perceptual model string; anything else is a
 * {@link UsageError} naming the value and the accepted forms.
 *
 * @example
 * ```ts
 * parsePerceptualSpec("lpips-convnext_s-1.0-0.1"); // { lpips: 1, convnext: 0.1 }
 * ```
 */
export function parsePerceptualSpec(spec: string): PerceptualSpec {
  if (spec === "lpips") return { lpips: 1 };
  if (spec === "convnext_s") return { convnext: 1 };
  const m = COMBINED.exec(spec);
  const [a, b] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!m || a < 0 || b < 0 || a + b <= 0) {
    throw new UsageError(
      `perceptual loss ${JSON.stringify(spec)} is not supported: expected "lpips", "convnext_s" or ` +
        `"lpips-convnext_s-<lpips weight>-<convnext weight>" with non-negative weights (e.g. "lpips-convnext_s-1.0-0.1")`,
    );
  }
  return { lpips: a, convnext: b };
}

/**
 * The perceptual loss between `real` and `fake` (B, 3, H, W) in [0, 1]
 * (H, W divisible by 16 for LPIPS): a scalar, differentiable in `fake` only.
 */
export function perceptualLoss(
  g: Graph,
  real: Value,
  fake: Value,
  spec: string | PerceptualSpec,
  lpips: LpipsOptions = {},
): Value {
  const s = typeof spec === "string" ? parsePerceptualSpec(spec) : spec;
  return g.scope(PERCEPTUAL_SCOPE, () => {
    const target = stopGradient(g, real);
    const scalar = (v: number) => g.constant(f32([], [v]), "weight");
    const terms: [Value, number][] = [];
    if (s.lpips !== undefined) {
      const d = g.scope("lpips", () => lpipsDistance(g, target, fake, lpips));
      terms.push([reduceMean(g, d, [0, 1, 2, 3], false), s.lpips]);
    }
    if (s.convnext !== undefined) terms.push([convnextLogitsLoss(g, target, fake), s.convnext]);
    if (terms.length === 1) return terms[0][0];
    const weighted = terms.map(([v, w]) => mul(g, v, scalar(w))).reduce((x, y) => add(g, x, y));
    return div(g, weighted, scalar(terms.reduce((n, [, w]) => n + w, 0)));
  });
}
