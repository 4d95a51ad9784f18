/**
 * Reverse-mode differentiation over a built graph. The walker visits the
 * nodes between the parameters and the loss in reverse order, asks the rule
 * of each node's registry entry (core/ops/<op>.ts `vjp`, chosen by
 * core/ops/registry.ts) for input gradients, sums gradients of
 * values used more than once, skips stop-gradient values and integer paths,
 * and prunes everything that does not reach a requested value. A composite
 * registered with customGradient (custom.ts) is differentiated by its own
 * rule, at the node that produces its output.
 *
 * @example
 * ```ts
 * const grads = gradients(g, loss, [...g.params.keys()]);
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add } from "../ops/add.ts";
import { OPS } from "../ops/mod.ts";
import { entryFor } from "../ops/registry.ts";
import { isDifferentiable, nodeContext, scalar } from "../ops/_grad/rule.ts";
import { compositeOf } from "./custom.ts";

/** d(loss)/d(value) for each name in `wrt` (a value the loss does not depend on gets no entry). */
export function gradients(g: Graph, loss: Value, wrt: Iterable<string>): Map<string, Value> {
  loss = g.resolve(loss);
  const targets = new Set(wrt);
  // Forward: which values depend on a target (through differentiable, non-stopped paths).
  const live = new Set(targets);
  for (const n of g.nodes) {
    if (n.inputs.some((i) => live.has(i))) {
      for (const o of n.outputs) {
        const v = g.values.get(o)!;
        if (isDifferentiable(v.dtype) && !g.stops.has(o)) live.add(o);
      }
    }
  }
  if (!live.has(loss.name)) return new Map();
  // Backward: which values the loss depends on.
  const needed = new Set([loss.name]);
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (n.outputs.some((o) => needed.has(o))) { for (const inp of n.inputs) if (inp) needed.add(inp); }
  }
  const pending = new Map<string, Value[]>([[loss.name, [scalarSeed(g, loss)]]]);
  const total = (name: string): Value | undefined => {
    const parts = pending.get(name);
    if (!parts?.length) return undefined;
    if (parts.length > 1) pending.set(name, [parts.reduce((a, b) => add(g, a, b))]);
    return pending.get(name)![0];
  };
  const push = (name: string, dx: Value | undefined) => {
    if (!name || !dx || !live.has(name)) return;
    const list = pending.get(name) ?? [];
    list.push(dx);
    pending.set(name, list);
  };
  const nodes = [...g.nodes];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!n.outputs.some((o) => needed.has(o) && live.has(o))) continue;
    const dys = n.outputs.map((o) => (g.stops.has(o) ? undefined : total(o)));
    if (dys.every((d) => d === undefined)) continue;
    const composite = n.outputs.length === 1 ? compositeOf(g, n.outputs[0]) : undefined;
    if (composite) {
      const dxs = g.scope(`grad.${n.name}`, () => composite.rule(g, dys[0]!));
      composite.inputs.forEach((v, k) => push(v.name, dxs[k]));
      continue;
    }
    // The one registry entry that takes this node (by its ONNX type, and its `matches` where
    // entries share a type); an error when none or several do.
    const ctx = nodeContext(g, n);
    const def = entryFor(OPS, n, ctx);
    if (!def) throw new Error(`no gradient rule for op ${n.op} (node ${n.name}); add a vjp to its op file`);
    if (!def.vjp) continue;
    // Backward nodes are named after the forward node they differentiate (profiles group by it).
    const dxs = g.scope(`grad.${n.name}`, () => def.vjp!(g, ctx, dys));
    n.inputs.forEach((name, k) => push(name, dxs[k]));
  }
  const out = new Map<string, Value>();
  for (const name of targets) {
    const d = total(name);
    if (d) out.set(name, d);
  }
  return out;
}

function scalarSeed(g: Graph, loss: Value): Value {
  if (loss.shape.length !== 0) {
    throw new Error(`gradients: the loss ${loss.name} must be a scalar, got [${loss.shape}]`);
  }
  return scalar(g, loss, 1);
}
