/**
 * L2 normalisation along the last axis, as torch.nn.functional.normalize:
 * x / max(‖x‖, 1e-12).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { clip, div, mul, reduceSum, sqrt } from "../ops/mod.ts";

/** Normalises `x` to unit length along its last axis. */
export function l2normalize(g: Graph, x: Value): Value {
  const norm = sqrt(g, reduceSum(g, mul(g, x, x), [-1], true));
  return div(g, x, clip(g, norm, 1e-12, 3.4e38));
}
