/**
 * Shared emitter for opset-18 reductions (axes given as an input).
 * @module
 */
import { type Graph, int, type Value } from "../graph/graph.ts";
import { axis as norm } from "../graph/shape.ts";
import { i64const } from "./op.ts";

/** Reduces `x` over `axes`, keeping them as size 1 when `keepdims`. */
export function reduce(g: Graph, op: string, x: Value, axes: number[], keepdims: boolean): Value {
  const at = new Set(axes.map((a) => norm(a, x.shape.length, op)));
  const shape = keepdims ? x.shape.map((d, i) => (at.has(i) ? 1 : d)) : x.shape.filter((_, i) => !at.has(i));
  return g.addNode(op, [x, i64const(g, [...at], "axes")], { keepdims: int(keepdims ? 1 : 0) }, [
    { dtype: x.dtype, shape },
  ])[0];
}
