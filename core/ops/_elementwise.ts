/**
 * Shared emitters for elementwise ops: unary ops keep the shape, binary ops
 * broadcast numpy-style. Each op still has its own file and registry entry.
 *
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { broadcast, fmt } from "../graph/shape.ts";

/** Emits a unary elementwise op. */
export function unary(g: Graph, op: string, x: Value): Value {
  return g.addNode(op, [x], {}, [{ dtype: x.dtype, shape: x.shape }])[0];
}

/** Emits a broadcasting binary op; both sides must share a dtype. */
export function binary(g: Graph, op: string, a: Value, b: Value): Value {
  if (a.dtype !== b.dtype) {
    throw new Error(
      `${op}: dtypes differ (${a.name} ${a.dtype}${fmt(a.shape)}, ${b.name} ${b.dtype}${fmt(b.shape)})`,
    );
  }
  return g.addNode(op, [a, b], {}, [{ dtype: a.dtype, shape: broadcast(a.shape, b.shape, op) }])[0];
}
