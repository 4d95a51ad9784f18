/**
 * AdamW (decoupled weight decay, https://arxiv.org/abs/1711.05101) with
 * torch's update order and bias correction, gradient clipping by global norm
 * (torch.nn.utils.clip_grad_norm_), and an EMA of the weights — all as graph
 * nodes, so one train-step graph runs on any execution provider.
 *
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, clip, div, mul, pow, reduceSum, sqrt, sub } from "../ops/mod.ts";
import { f32 } from "../ops/op.ts";

/** Optimizer settings; defaults are TiTok's recipe. */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global gradient norm to this (0 disables). */
  clipNorm: number;
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

/** Scales gradients so their global L2 norm is at most `maxNorm`; returns the scaled list and the norm. */
export function clipByGlobalNorm(g: Graph, grads: Value[], maxNorm: number): { grads: Value[]; norm: Value } {
  const squares = grads.map((d) => reduceSum(g, mul(g, d, d), d.shape.map((_, i) => i), false));
  const norm = sqrt(g, squares.reduce((a, b) => add(g, a, b)));
  if (!maxNorm) return { grads, norm };
  const coef = clip(g, div(g, c(g, maxNorm), add(g, norm, c(g, 1e-6))), 0, 1);
  return { grads: grads.map((d) => mul(g, d, coef)), norm };
}

/** One AdamW update of `p` with gradient `d`; `step` is t ≥ 1 and `lr` the learning rate (scalars). */
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
  const m2 = add(g, mul(g, m, c(g, o.beta1)), mul(g, d, c(g, 1 - o.beta1)));
  const v2 = add(g, mul(g, v, c(g, o.beta2)), mul(g, mul(g, d, d), c(g, 1 - o.beta2)));
  const bc1 = sub(g, c(g, 1), pow(g, c(g, o.beta1), step));
  const bc2 = sub(g, c(g, 1), pow(g, c(g, o.beta2), step));
  const denom = add(g, div(g, sqrt(g, v2), sqrt(g, bc2)), c(g, o.eps));
  let p2 = decay && o.weightDecay ? mul(g, p, sub(g, c(g, 1), mul(g, lr, c(g, o.weightDecay)))) : p;
  p2 = sub(g, p2, mul(g, div(g, lr, bc1), div(g, m2, denom)));
  return { p: p2, m: m2, v: v2 };
}

/** EMA of a weight: decay·ema + (1 − decay)·p. */
export function emaUpdate(g: Graph, ema: Value, p: Value, decay: Value): Value {
  return add(g, mul(g, ema, decay), mul(g, p, sub(g, c(g, 1), decay)));
}
