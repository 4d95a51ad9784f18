/**
 * How the op registry is built and how a graph node finds its entry. Every
 * entry has a unique key (`AveragePoolPadded`); ONNX types may repeat
 * (`average_pool.ts` and `average_pool_padded.ts` both emit `AveragePool`).
 * Entries that share a type each declare `matches(node)`, and a node goes to
 * the one entry that matches it — never to whichever entry comes first.
 *
 * Built with {@link defineRegistry}, a registry fails loudly when two entries
 * have one key, when entries share a type without each declaring `matches`,
 * or when a node emitted by an entry's own cases is not matched by exactly
 * that entry; {@link entryFor} fails when a node matches none or several.
 *
 * @example
 * ```ts
 * const def = entryFor(OPS, node, nodeContext(g, node)); // the walker's dispatch
 * ```
 * @module
 */
import { Graph, type GraphNode, type Value } from "../graph/graph.ts";
import type { OpDef } from "./op.ts";
import { nodeContext, producer, type VjpContext } from "./_grad/rule.ts";

/** Registry entries by key. */
export type OpRegistry = Readonly<Record<string, OpDef>>;

const BY_TYPE = new WeakMap<OpRegistry, ReadonlyMap<string, readonly OpDef[]>>();

const keys = (defs: readonly OpDef[]) => defs.map((d) => d.key).join(", ");

/** The registry of `defs`, by key, after the checks above. */
export function defineRegistry(defs: readonly OpDef[]): OpRegistry {
  const byKey: Record<string, OpDef> = {};
  const byType = new Map<string, OpDef[]>();
  for (const def of defs) {
    if (Object.hasOwn(byKey, def.key)) throw new Error(`op registry: two entries have the key ${def.key}`);
    byKey[def.key] = def;
    byType.set(def.type, [...(byType.get(def.type) ?? []), def]);
  }
  for (const [type, entries] of byType) {
    const open = entries.filter((d) => !d.matches);
    if (entries.length > 1 && open.length) {
      throw new Error(
        `op registry: ${keys(entries)} share the ONNX type ${type}, so each must declare matches(node); ` +
          `${keys(open)} does not`,
      );
    }
  }
  const registry = Object.freeze(byKey);
  BY_TYPE.set(registry, byType);
  for (const def of defs) if (def.matches) checkOwnNodes(registry, def);
  return registry;
}

/**
 * The entry whose rule differentiates `node`: the only entry of its type, or
 * the one entry of its type that matches it. Undefined when no entry has the
 * type; an error when entries have it but none or several match.
 */
export function entryFor(registry: OpRegistry, node: GraphNode, ctx: VjpContext): OpDef | undefined {
  const byType = BY_TYPE.get(registry);
  if (!byType) throw new Error("op registry: build it with defineRegistry");
  const entries = byType.get(node.op);
  if (!entries) return undefined;
  const taken = entries.filter((d) => !d.matches || d.matches(ctx));
  if (taken.length === 1) return taken[0];
  throw new Error(
    taken.length
      ? `node ${node.name} (${node.op}) matches several registry entries (${keys(taken)}); ` +
        `their matches() must not overlap`
      : `node ${node.name} (${node.op}) matches none of the registry entries ${keys(entries)}; ` +
        `no gradient rule covers its attributes`,
  );
}

/**
 * The input gradients of the node that produced `y`, by its registry entry's
 * rule, given dL/dy (a single-node vjp, for tests that check a rule without
 * the walker). Null when the entry declares no gradient.
 */
export function nodeGradients(
  g: Graph,
  registry: OpRegistry,
  y: Value,
  dy: Value,
): (Value | undefined)[] | null {
  y = g.resolve(y);
  const node = producer(g, y);
  if (!node) throw new Error(`nodeGradients: ${y.name} is not a node output`);
  const ctx = nodeContext(g, node);
  const def = entryFor(registry, node, ctx);
  if (!def) throw new Error(`nodeGradients: no registry entry for ${node.op}`);
  return def.vjp ? def.vjp(g, ctx, node.outputs.map((o) => (o === y.name ? dy : undefined))) : null;
}

/** Each node of `def.type` that `def`'s own cases emit must go to `def`. */
function checkOwnNodes(registry: OpRegistry, def: OpDef): void {
  for (const c of [...def.cases, ...def.gradCases]) {
    const g = new Graph(`${def.key}_dispatch`);
    def.emit(g, c.inputs.map((t, i) => g.input(`x${i}`, t.dtype, t.shape)), c.options);
    for (const node of g.nodes) {
      if (node.op !== def.type) continue;
      let got: OpDef | undefined;
      try {
        got = entryFor(registry, node, nodeContext(g, node));
      } catch (e) {
        throw new Error(`op registry: ${def.key} case "${c.name}": ${(e as Error).message}`);
      }
      if (got !== def) {
        throw new Error(
          `op registry: ${def.key} case "${c.name}" emits a ${def.type} node that goes to ${got?.key}`,
        );
      }
    }
  }
}
