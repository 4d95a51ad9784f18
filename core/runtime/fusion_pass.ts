/**
 * Replaces the regions emitters marked as {@link Fusion}s (core/graph/graph.ts)
 * by their faster form before a session opens: attention becomes one
 * `com.microsoft.MultiHeadAttention` kernel on ONNX Runtime's CPU provider
 * (core/nn/attention.ts), which ORT's own optimizer does not find in a plain
 * ONNX attention graph.
 *
 * A region is the set of nodes between the fusion's inputs and outputs. It is
 * replaced only when nothing outside it reads an intermediate value (a train
 * step's backward reads the softmax and the heads, so training graphs keep
 * their plain form), when it reads nothing but its inputs, constants and
 * parameters, and when no node between its first and last node reads one of
 * its outputs. The caller's graph is not modified: the result is a view.
 *
 * @example
 * ```ts
 * const model = fuseRegions(pruned(graph), (kind) => kind === "attention");
 * ```
 * @module
 */
import { Graph, type GraphNode } from "../graph/graph.ts";

/** `graph` with each accepted fusion's region replaced by its built form; `graph` itself when none is. */
export function fuseRegions(graph: Graph, accept: (kind: string) => boolean): Graph {
  if (!graph.fusions.length) return graph;
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  graph.nodes.forEach((n, i) => {
    for (const o of n.outputs) producer.set(o, i);
    for (const x of n.inputs) if (x) consumers.set(x, [...(consumers.get(x) ?? []), i]);
  });
  const graphOutputs = new Set(graph.outputs.map((v) => v.name));
  const scratch = new Graph(`${graph.name}_fused`);
  const removed = new Set<number>();
  const insertAt = new Map<number, GraphNode[]>();
  for (const [k, f] of graph.fusions.entries()) {
    if (!accept(f.kind)) continue;
    const inputs = f.inputs.map((v) => graph.resolve(v));
    const outputs = f.outputs.map((v) => graph.resolve(v).name);
    const region = regionOf(graph, producer, new Set(inputs.map((v) => v.name)), outputs);
    if (!region || [...region].some((i) => removed.has(i))) continue;
    const outs = new Set(outputs);
    const leaks = [...region].some((i) =>
      graph.nodes[i].outputs.some((o) =>
        !outs.has(o) && (graphOutputs.has(o) || (consumers.get(o) ?? []).some((c) => !region.has(c)))
      )
    );
    const first = Math.min(...region), last = Math.max(...region);
    const regionValues = new Set([...region].flatMap((i) => graph.nodes[i].outputs));
    let interleaved = false;
    for (let i = first + 1; i < last && !interleaved; i++) {
      interleaved = !region.has(i) && graph.nodes[i].inputs.some((x) => regionValues.has(x));
    }
    if (leaks || interleaved) continue;
    const start = scratch.nodes.length;
    const built = scratch.scope(
      `${graph.nodes[first].name.split("/")[0]}.fused_${k}`,
      () => f.build(scratch, inputs),
    );
    const added = scratch.nodes.slice(start);
    // The built values take the names the region's consumers read.
    const rename = new Map(built.map((v, i) => [v.name, outputs[i]]));
    for (const n of added) {
      n.outputs = n.outputs.map((o) => rename.get(o) ?? o);
      n.inputs = n.inputs.map((x) => rename.get(x) ?? x);
    }
    for (const i of region) removed.add(i);
    insertAt.set(last, added);
  }
  if (!removed.size) return graph;
  const nodes: GraphNode[] = [];
  graph.nodes.forEach((n, i) => {
    if (!removed.has(i)) nodes.push(n);
    nodes.push(...(insertAt.get(i) ?? []));
  });
  const read = new Set(nodes.flatMap((n) => n.inputs));
  const constants = new Map(
    [...graph.constants, ...scratch.constants].filter(([name]) => read.has(name) || graphOutputs.has(name)),
  );
  const view = { nodes, constants } as Record<PropertyKey, unknown>;
  return new Proxy(graph, { get: (t, key, r) => (key in view ? view[key] : Reflect.get(t, key, r)) });
}

/**
 * Indices of the nodes computing `outputs` from `inputs`; undefined when one of them reads a value that is
 * neither an input, a constant, a parameter nor computed inside.
 */
function regionOf(
  graph: Graph,
  producer: Map<string, number>,
  inputs: Set<string>,
  outputs: string[],
): Set<number> | undefined {
  const region = new Set<number>();
  const stack = [...outputs];
  while (stack.length) {
    const name = stack.pop()!;
    if (!name || inputs.has(name) || graph.constants.has(name) || graph.params.has(name)) continue;
    const i = producer.get(name);
    if (i === undefined) return undefined;
    if (region.has(i)) continue;
    region.add(i);
    stack.push(...graph.nodes[i].inputs);
  }
  return region.size ? region : undefined;
}
