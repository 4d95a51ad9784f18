/**
 * Which graph outputs may be written straight into the buffer of a graph
 * input. A train step's new state (`new.<p>`, `new.adam_m.<p>`, …) is the old
 * state (`<p>`, `adam_m.<p>`, …) updated; written in place, a run needs no
 * second set of state buffers (S-128-shaped: 4 × 207 MB less at peak) and, on
 * the C API engine (engine_direct.ts), no copies of them at all
 * (bench/README.md, "In-place state").
 *
 * Both engines hand the buffer to ORT as a preallocated output, which the
 * producing kernel writes directly. That is safe only if nothing
 * reads the input after the output is written: every node that reads input X
 * must be an ancestor of the node producing Y (so any topological order runs
 * it first), or that node itself when it is a same-shape elementwise op (each
 * element is read before it is written). With clipping by global norm every
 * update depends on every gradient, so the whole forward and backward reads
 * the old weights before the first one is overwritten; without clipping a
 * weight's update may be scheduled before the backward is done with it, and
 * the pair is refused here. Readers of a view of the input (Reshape,
 * Squeeze, Unsqueeze, Flatten, Identity outputs, which ORT may alias to the
 * input's buffer) count as readers of the input.
 *
 * @example
 * ```ts
 * const safe = inPlacePairs(step.graph, [["w", "new.w"]]); // Map { "new.w" => "w" }
 * ```
 * @module
 */
import type { Graph } from "../graph/graph.ts";

/**
 * Ops whose output ORT may hand out as a view of the input's buffer (no copy): a reader of their
 * output reads the input, so it counts as one (a BatchNorm weight reshaped to (C, 1, 1) and read by
 * the backward pass after the weight's update was written in place read the new weight).
 */
const ALIASES = new Set(["Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity"]);

/** Ops whose output element i depends only on input elements i (for same-shape operands). */
const ELEMENTWISE = new Set(["Add", "Sub", "Mul", "Div"]);

const sameShape = (a: readonly unknown[], b: readonly unknown[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The candidate `[input, output]` pairs whose output can share the input's buffer, as a map
 * output → input. `graph.nodes` must be in topological order (the builder's order, or a pruned
 * view of it). A pair is refused if the output is not produced by a node, if dtypes or shapes
 * differ, if the input or output appears in another pair, or if a reader of the input could run
 * after the output is written.
 */
export function inPlacePairs(
  graph: Pick<Graph, "nodes" | "values">,
  candidates: Iterable<readonly [input: string, output: string]>,
): Map<string, string> {
  const nodes = graph.nodes;
  const producer = new Map<string, number>();
  const readers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const o of n.outputs) producer.set(o, i);
    for (const inp of n.inputs) {
      if (!inp) continue;
      const list = readers.get(inp);
      if (list) {
        if (list.at(-1) !== i) list.push(i);
      } else readers.set(inp, [i]);
    }
  });
  /** The nodes that read `v`, directly or through a chain of views of it. */
  const readersThroughAliases = (v: string): number[] => {
    const out: number[] = [];
    const queue = [v];
    const seen = new Set(queue);
    while (queue.length) {
      for (const i of readers.get(queue.pop()!) ?? []) {
        out.push(i);
        const n = nodes[i];
        if (!ALIASES.has(n.op) || n.inputs[0] === undefined || !seen.has(n.inputs[0])) continue;
        for (const o of n.outputs) if (!seen.has(o)) (seen.add(o), queue.push(o));
      }
    }
    return out;
  };
  const pairs = [...candidates];
  const count = (xs: string[]) =>
    xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
  const inputUses = count(pairs.map(([x]) => x));
  const outputUses = count(pairs.map(([, y]) => y));
  const stamp = new Int32Array(nodes.length).fill(-1);
  const safe = new Map<string, string>();
  pairs.forEach(([x, y], pairIndex) => {
    const p = producer.get(y);
    const xv = graph.values.get(x), yv = graph.values.get(y);
    if (p === undefined || !xv || !yv || xv.dtype !== yv.dtype || !sameShape(xv.shape, yv.shape)) return;
    if (inputUses.get(x)! > 1 || outputUses.get(y)! > 1) return;
    const pending = new Set(readersThroughAliases(x));
    if (pending.has(p)) {
      if (!ELEMENTWISE.has(nodes[p].op)) return;
      pending.delete(p);
    }
    if (pending.size === 0) return void safe.set(y, x);
    // Walk back from the producer; only nodes at or after the earliest reader can lead to one.
    const earliest = Math.min(...pending);
    const stack = [p];
    stamp[p] = pairIndex;
    while (stack.length && pending.size) {
      const i = stack.pop()!;
      for (const inp of nodes[i].inputs) {
        const q = inp ? producer.get(inp) : undefined;
        if (q === undefined || q < earliest || stamp[q] === pairIndex) continue;
        stamp[q] = pairIndex;
        pending.delete(q);
        stack.push(q);
      }
    }
    if (pending.size === 0) safe.set(y, x);
  });
  return safe;
}
