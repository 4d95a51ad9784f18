/**
 * L2 normalisation along the last axis, as torch.nn.functional.normalize:
 * x / max(‖x‖, 1e-12).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { clip, div, mul, reduceSum, sqrt } from "../ops/mod.ts";

/**
 * Normalises `x` to unit length along its last axis. Written as x / √max(‖x‖², 1e-24) — the same values
 * as x / max(‖x‖, 1e-12) — so that a zero row gets torch's zero gradient rather than ∞·0 = NaN from √ at 0.
 */
export function l2normalize(g: Graph, x: Value): Value {
  return div(g, x, sqrt(g, clip(g, reduceSum(g, mul(g, x, x), [-1], true), 1e-24, 3.4e38)));
}
