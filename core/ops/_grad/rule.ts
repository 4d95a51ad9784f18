/**
 * The shape of a gradient rule, and helpers every rule uses. A rule sits in
 * its op's file (core/ops/<op>.ts, field `vjp`) and maps the gradients of a
 * node's outputs to gradients of its inputs. The walker
 * (core/autodiff/grad.ts) handles accumulation over fan-out, pruning,
 * stop-gradients and the seed.
 *
 * core/ops/_grad/ holds what rules share (this file, unbroadcast, the
 * reduction, Conv and LayerNormalization gradients). Imports run one way:
 * core/autodiff imports core/ops, never the reverse (tests/layering_test.ts).
 *
 * @module
 */
import type { Attr, Graph, GraphNode, Value } from "../../graph/graph.ts";
import { type Dim, fmt } from "../../graph/shape.ts";
import { f32 } from "../op.ts";
import type { DType } from "../../tensor.ts";

/** What a rule sees of the node it differentiates. */
export interface VjpContext {
  inputs: Value[];
  outputs: Value[];
  attrs: Record<string, Attr>;
  /** Constant inputs by position, when they are constants (shapes, axes, scales). */
  constant(i: number): number[] | undefined;
}

/** The context of `node` in `g`, as its rule (and its registry entry's `matches`) sees it. */
export function nodeContext(g: Graph, node: GraphNode): VjpContext {
  return {
    inputs: node.inputs.map((name) => g.values.get(name)!),
    outputs: node.outputs.map((name) => g.values.get(name)!),
    attrs: node.attrs,
    constant: (k) => {
      const c = g.constants.get(node.inputs[k]);
      return c ? Array.from(c.data as ArrayLike<number | bigint>, Number) : undefined;
    },
  };
}

/**
 * A vector–Jacobian product: given dL/d(outputs) (undefined where an output
 * gets no gradient), returns dL/d(inputs) (undefined where none flows).
 */
export type VjpRule = (g: Graph, ctx: VjpContext, dys: (Value | undefined)[]) => (Value | undefined)[];

/** Whether gradients flow through values of this dtype. */
export function isDifferentiable(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64" || dtype === "float16";
}

/** A scalar constant of the value's dtype. */
export function scalar(g: Graph, like: Value, v: number): Value {
  if (like.dtype === "float64") {
    return g.constant({ dtype: "float64", shape: [], data: Float64Array.of(v) }, "c");
  }
  return g.constant(f32([], [v]), "c");
}

/** The attribute's int value (or `fallback`). */
export function intAttr(ctx: VjpContext, name: string, fallback: number): number {
  const a = ctx.attrs[name];
  return a && a.type === "int" ? a.value : fallback;
}

/** The attribute's float value (or `fallback`). */
export function floatAttr(ctx: VjpContext, name: string, fallback: number): number {
  const a = ctx.attrs[name];
  return a && a.type === "float" ? a.value : fallback;
}

/** The attribute's int list (or `fallback`). */
export function intsAttr(ctx: VjpContext, name: string, fallback: number[]): number[] {
  const a = ctx.attrs[name];
  return a && a.type === "ints" ? a.value : fallback;
}

/** Static dims, or an error naming the rule: gradient graphs are built for fixed shapes. */
export function staticShape(v: Value, rule: string): number[] {
  for (const d of v.shape) {
    if (typeof d !== "number") {
      throw new Error(`${rule} gradient: needs static shapes, ${v.name} is ${fmt(v.shape)}`);
    }
  }
  return v.shape as number[];
}

/** The node that produces `v`, if any (rules use it to see through their operands). */
export function producer(g: Graph, v: Value): GraphNode | undefined {
  for (let i = g.nodes.length - 1; i >= 0; i--) if (g.nodes[i].outputs.includes(v.name)) return g.nodes[i];
  return undefined;
}

/** `z` when `v` is Transpose(z) with exactly `perm`, else undefined. */
export function transposedFrom(g: Graph, v: Value, perm: readonly number[]): Value | undefined {
  const n = producer(g, v);
  if (n?.op !== "Transpose" || n.domain) return undefined;
  const a = n.attrs.perm;
  if (a?.type !== "ints" || a.value.join() !== perm.join()) return undefined;
  return g.values.get(n.inputs[0]);
}

/** The permutation that swaps the last two of `rank` axes. */
export function swapLastTwo(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => (i < rank - 2 ? i : i === rank - 1 ? rank - 2 : rank - 1));
}

/** Axes along which `from` was broadcast to reach `to` (leading extra axes and size-1 axes). */
export function broadcastAxes(from: readonly Dim[], to: readonly Dim[]): number[] {
  const lead = to.length - from.length;
  const axes: number[] = [];
  for (let i = 0; i < to.length; i++) {
    if (i < lead || (from[i - lead] === 1 && to[i] !== 1)) axes.push(i);
  }
  return axes;
}
