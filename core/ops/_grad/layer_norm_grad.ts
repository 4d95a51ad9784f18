/**
 * Gradient of LayerNormalization over axes [axis, rank): with x̂ = (x − μ)/σ,
 * dx = (g − mean(g) − x̂·mean(g·x̂)) / σ where g = dy·γ; dγ = Σ dy·x̂ and
 * dβ = Σ dy over the leading axes (then reduced to γ's own shape).
 * μ and σ are recomputed from x.
 * @module
 */
import type { Graph, Value } from "../../graph/graph.ts";
import { add } from "../add.ts";
import { div } from "../div.ts";
import { mul } from "../mul.ts";
import { reduceMean } from "../reduce_mean.ts";
import { reduceSum } from "../reduce_sum.ts";
import { sqrt } from "../sqrt.ts";
import { sub } from "../sub.ts";
import { floatAttr, intAttr, scalar, type VjpContext } from "./rule.ts";
import { unbroadcast } from "./unbroadcast.ts";

/** [dx, dscale, dbias] of LayerNormalization. */
export function layerNormGrad(g: Graph, ctx: VjpContext, dy: Value): (Value | undefined)[] {
  const [x, scale, bias] = ctx.inputs;
  const rank = x.shape.length;
  const a = intAttr(ctx, "axis", -1);
  const first = a < 0 ? a + rank : a;
  const axes = Array.from({ length: rank - first }, (_, i) => first + i);
  const lead = Array.from({ length: first }, (_, i) => i);
  const eps = floatAttr(ctx, "epsilon", 1e-5);
  const mu = reduceMean(g, x, axes, true);
  const centred = sub(g, x, mu);
  const sigma = sqrt(g, add(g, reduceMean(g, mul(g, centred, centred), axes, true), scalar(g, x, eps)));
  const xhat = div(g, centred, sigma);
  const gy = mul(g, dy, scale);
  const dx = div(
    g,
    sub(
      g,
      sub(g, gy, reduceMean(g, gy, axes, true)),
      mul(g, xhat, reduceMean(g, mul(g, gy, xhat), axes, true)),
    ),
    sigma,
  );
  const sumLead = (v: Value) => (lead.length ? reduceSum(g, v, lead, false) : v);
  const dscale = unbroadcast(g, sumLead(mul(g, dy, xhat)), scale.shape);
  const dbias = bias ? unbroadcast(g, sumLead(dy), bias.shape) : undefined;
  return [dx, dscale, dbias];
}
