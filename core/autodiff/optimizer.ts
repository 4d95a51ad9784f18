/**
 * AdamW (decoupled weight decay, https://arxiv.org/abs/1711.05101) with
 * torch's update order and bias correction, gradient clipping by global norm
 * (torch.nn.utils.clip_grad_norm_), and an EMA of the weights — all as graph
 * nodes, so one train-step graph runs on any execution provider.
 *
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, clip, div, mul, pow, reduceSumSquare, sqrt, sub } from "../ops/mod.ts";
import { f32 } from "../ops/op.ts";

/** Optimizer settings; defaults are TiTok's recipe. */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global gradient norm to this (0 disables). */
  clipNorm: number;
  /** Which parameters weight decay applies to (default {@link decays}, TiTok's rule). */
  decays?: (name: string, shape: number[]) => boolean;
}

/** TiTok stage-1 defaults: β (0.9, 0.99), eps 1e-8, weight decay 1e-4, clip 1.0. */
export const TITOK_ADAMW: AdamWOptions = {
  beta1: 0.9,
  beta2: 0.99,
  eps: 1e-8,
  weightDecay: 1e-4,
  clipNorm: 1,
};

/**
 * Upstream's no-decay rule: parameters with fewer than 2 dims, or whose name
 * mentions ln, bias, latent_tokens, mask_token, embedding, norm, gamma or
 * embed (which also exempts patch_embed and decoder_embed, as upstream does).
 */
export function decays(name: string, shape: number[]): boolean {
  if (shape.length < 2) return false;
  return !/(ln|bias|latent_tokens|mask_token|embedding|norm|gamma|embed)/.test(name);
}

const c = (g: Graph, v: number) => g.constant(f32([], [v]), "c");

/**
 * Clipped gradients by graph: clipped value name → the unscaled gradient and the clip factor.
 * {@link adamwUpdate} folds the factor into its scalar coefficients instead of reading the scaled
 * copy, whose Mul node is then dead (Session.create drops nodes no output depends on).
 */
const CLIPPED = new WeakMap<Graph, Map<string, { raw: Value; coef: Value }>>();

/** Scales gradients so their global L2 norm is at most `maxNorm`; returns the scaled list and the norm. */
export function clipByGlobalNorm(g: Graph, grads: Value[], maxNorm: number): { grads: Value[]; norm: Value } {
  const norm = sqrt(
    g,
    grads.map((d) => reduceSumSquare(g, d, d.shape.map((_, i) => i), false)).reduce((a, b) => add(g, a, b)),
  );
  if (!maxNorm) return { grads, norm };
  const coef = clip(g, div(g, c(g, maxNorm), add(g, norm, c(g, 1e-6))), 0, 1);
  const known = CLIPPED.get(g) ?? new Map();
  CLIPPED.set(g, known);
  const scaled = grads.map((d) => {
    const s = mul(g, d, coef);
    known.set(s.name, { raw: d, coef });
    return s;
  });
  return { grads: scaled, norm };
}

/**
 * One AdamW update of `p` with gradient `d`; `step` is t ≥ 1 and `lr` the learning rate (scalars).
 * torch's update, m₂ = β₁m + (1−β₁)d, v₂ = β₂v + (1−β₂)d², p₂ = p(1 − lr·wd) − lr/bc₁ · m₂/(√v₂/√bc₂ + ε),
 * written as p(1 − lr·wd) − (lr·√bc₂/bc₁) · m₂/(√v₂ + ε√bc₂) so that every per-element pass is a
 * single op and the scalar factors (bias corrections, a clip factor) are computed once: 13 passes
 * over the parameter (12 without decay).
 */
export function adamwUpdate(
  g: Graph,
  p: Value,
  d: Value,
  m: Value,
  v: Value,
  step: Value,
  lr: Value,
  o: AdamWOptions,
  decay: boolean,
): { p: Value; m: Value; v: Value } {
  const clipped = CLIPPED.get(g)?.get(d.name);
  const grad = clipped?.raw ?? d;
  const k = adamwScalars(g, step, lr, o, clipped?.coef);
  // Per element.
  const m2 = add(g, mul(g, m, c(g, o.beta1)), mul(g, grad, k.k1));
  const v2 = add(g, mul(g, v, c(g, o.beta2)), mul(g, mul(g, grad, grad), k.k2));
  const update = mul(g, div(g, m2, add(g, sqrt(g, v2), k.epsHat)), k.stepSize);
  const kept = decay && o.weightDecay ? mul(g, p, k.keep) : p;
  return { p: sub(g, kept, update), m: m2, v: v2 };
}

interface AdamWScalars {
  k1: Value;
  k2: Value;
  stepSize: Value;
  epsHat: Value;
  keep: Value;
}

/** Scalar factors shared by every parameter's update, built once per graph, inputs and options. */
const SCALARS = new WeakMap<Graph, Map<string, AdamWScalars>>();

function adamwScalars(g: Graph, step: Value, lr: Value, o: AdamWOptions, coef?: Value): AdamWScalars {
  const key = [step.name, lr.name, coef?.name, o.beta1, o.beta2, o.eps, o.weightDecay].join("|");
  const cache = SCALARS.get(g) ?? new Map<string, AdamWScalars>();
  SCALARS.set(g, cache);
  const known = cache.get(key);
  if (known) return known;
  // The clip factor s enters as (1−β₁)s and (1−β₂)s².
  let k1 = c(g, 1 - o.beta1);
  let k2 = c(g, 1 - o.beta2);
  if (coef) {
    k1 = mul(g, k1, coef);
    k2 = mul(g, k2, mul(g, coef, coef));
  }
  const sqrtBc2 = sqrt(g, sub(g, c(g, 1), pow(g, c(g, o.beta2), step)));
  const bc1 = sub(g, c(g, 1), pow(g, c(g, o.beta1), step));
  const scalars = {
    k1,
    k2,
    stepSize: div(g, mul(g, lr, sqrtBc2), bc1),
    epsHat: mul(g, sqrtBc2, c(g, o.eps)),
    keep: sub(g, c(g, 1), mul(g, lr, c(g, o.weightDecay))),
  };
  cache.set(key, scalars);
  return scalars;
}

/** EMA of a weight: decay·ema + (1 − decay)·p. */
export function emaUpdate(g: Graph, ema: Value, p: Value, decay: Value): Value {
  const cache = COMPLEMENTS.get(g) ?? new Map<string, Value>();
  COMPLEMENTS.set(g, cache);
  const rest = cache.get(decay.name) ?? sub(g, c(g, 1), decay);
  cache.set(decay.name, rest);
  return add(g, mul(g, ema, decay), mul(g, p, rest));
}

/** 1 − decay by graph and decay value, computed once for every parameter's EMA. */
const COMPLEMENTS = new WeakMap<Graph, Map<string, Value>>();
