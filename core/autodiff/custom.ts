/**
 * Gradient rules for composites: a layer built from several ops (GELU's
 * erf form) can give the walker (grad.ts) one rule for the whole chain, from
 * the composite's output gradient straight to its inputs. The walker then
 * never differentiates the nodes in between, so the backward neither repeats
 * their op-by-op rules nor keeps their intermediate values alive — and ONNX
 * Runtime is free to fuse the forward chain (its GeluFusion only fires when
 * nothing else reads the intermediates).
 *
 * @example
 * ```ts
 * const y = mul(g, x, sigmoid(g, x));
 * customGradient(g, y, [x], (g, dy) => [mul(g, dy, siluDerivative(g, x))]);
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";

/** dL/d(output) → dL/d(each input) (undefined where none flows). */
export type CompositeRule = (g: Graph, dy: Value) => (Value | undefined)[];

/** A registered composite: its inputs and rule. */
export interface Composite {
  inputs: Value[];
  rule: CompositeRule;
}

const COMPOSITES = new WeakMap<Graph, Map<string, Composite>>();

/**
 * Differentiates `output` with respect to `inputs` by `rule` instead of through the nodes
 * between them. Those nodes' values must not be used outside the composite: they get no gradient.
 */
export function customGradient(g: Graph, output: Value, inputs: Value[], rule: CompositeRule): void {
  const known = COMPOSITES.get(g) ?? new Map<string, Composite>();
  COMPOSITES.set(g, known);
  known.set(output.name, { inputs, rule });
}

/** The composite whose output is the value `name`, if one was registered. */
export function compositeOf(g: Graph, name: string): Composite | undefined {
  return COMPOSITES.get(g)?.get(name);
}
