/**
 * The shared part of the reductions' gradients (ReduceSum, ReduceMean,
 * ReduceSumSquare): dy broadcast back over the reduced axes to x's shape,
 * after restoring them as size-1 axes when the node dropped them.
 * @module
 */
import type { Graph, Value } from "../../graph/graph.ts";
import { expand } from "../expand.ts";
import { reshape } from "../reshape.ts";
import { intAttr, staticShape, type VjpContext } from "./rule.ts";

/** The reduced axes of a reduction node (input 1), non-negative. */
function reducedAxes(ctx: VjpContext): number[] {
  const rank = ctx.inputs[0].shape.length;
  return ctx.constant(1)!.map((a) => (a < 0 ? a + rank : a));
}

/** dy of a reduction node, expanded to the shape of its input x. */
export function broadcastReducedGrad(g: Graph, ctx: VjpContext, dy: Value): Value {
  const x = ctx.inputs[0];
  const axes = reducedAxes(ctx);
  const kept = intAttr(ctx, "keepdims", 1)
    ? dy
    : reshape(g, dy, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
  return expand(g, kept, x.shape);
}

/** How many elements each output of a reduction node summarises (needs static reduced axes). */
export function reducedCount(ctx: VjpContext, op: string): number {
  const shape = staticShape(ctx.inputs[0], op);
  return reducedAxes(ctx).reduce((n, a) => n * shape[a], 1);
}
