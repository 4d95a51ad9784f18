/**
 * Dense layers with torch naming: `weight` (out, in) and `bias` (out).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, matmul, transpose } from "../ops/mod.ts";

/** y = x Wᵀ + b over the last axis; parameters live in the current scope. */
export function linear(g: Graph, x: Value, inFeatures: number, outFeatures: number, bias = true): Value {
  const w = g.param("weight", [outFeatures, inFeatures]);
  // ORT folds the transpose of an initializer once, at session creation.
  let y = matmul(g, x, transpose(g, w, [1, 0]));
  if (bias) y = add(g, y, g.param("bias", [outFeatures]));
  return y;
}
