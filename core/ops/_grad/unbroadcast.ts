/**
 * Reverses numpy broadcasting for gradients: sums over the axes along which
 * an operand was broadcast, then restores its shape.
 * @module
 */
import type { Graph, Value } from "../../graph/graph.ts";
import { reduceSum } from "../reduce_sum.ts";
import { reshape } from "../reshape.ts";
import { broadcastAxes } from "./rule.ts";

/** Sums `dy` (shaped like the broadcast result) down to `shape`. */
export function unbroadcast(g: Graph, dy: Value, shape: readonly (number | string)[]): Value {
  if (dy.shape.length === shape.length && dy.shape.every((d, i) => d === shape[i])) return dy;
  const axes = broadcastAxes(shape, dy.shape);
  const summed = axes.length ? reduceSum(g, dy, axes, true) : dy;
  return reshape(g, summed, shape);
}
