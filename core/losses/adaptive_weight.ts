/**
 * taming's adaptive GAN weight (`VQLPIPSWithDiscriminator.calculate_adaptive_weight`,
 * https://github.com/CompVis/taming-transformers): ‖∇_W nll‖ / (‖∇_W gan‖ + 1e−4)
 * clamped to [0, 1e4], W = the decoder's last layer, without gradient
 * (upstream detaches it). Used by ALIT's stage 2 and BDD-1D's training.
 *
 * @example
 * ```ts
 * const w = adaptiveGanWeight(g, nll, gan, "decoder.conv_out.weight"); // × discriminator weight
 * ```
 * @module
 */
import { gradients } from "../autodiff/grad.ts";
import type { Graph, Value } from "../graph/graph.ts";
import { add, clip, div, f32, reduceSumSquare, sqrt, stopGradient } from "../ops/mod.ts";

const l2 = (g: Graph, v: Value) => sqrt(g, reduceSumSquare(g, v, v.shape.map((_, i) => i), false));

/** The detached adaptive weight of `gan` against `nll` at parameter `lastLayer`. */
export function adaptiveGanWeight(g: Graph, nll: Value, gan: Value, lastLayer: string): Value {
  const a = gradients(g, nll, [lastLayer]).get(lastLayer);
  const b = gradients(g, gan, [lastLayer]).get(lastLayer);
  if (!a || !b) throw new Error(`adaptive GAN weight: the losses do not depend on ${lastLayer}`);
  const eps = g.constant(f32([], [1e-4]), "adaptive_eps");
  return stopGradient(g, clip(g, div(g, l2(g, a), add(g, l2(g, b), eps)), 0, 1e4));
}
