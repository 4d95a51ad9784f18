/**
 * Dead-node elimination before a graph is encoded. ONNX Runtime runs every
 * node of a model, including nodes no output depends on (an unused clip copy
 * of a gradient whose factor the optimizer folded in, a rule's by-product);
 * {@link liveNodes} keeps only the nodes the graph outputs need.
 *
 * @example
 * ```ts
 * const bytes = encodeModel(pruned(graph)); // only the nodes the outputs need
 * ```
 * @module
 */
import type { Graph, GraphNode } from "../graph/graph.ts";

/** The nodes some graph output depends on, in their original order. */
export function liveNodes(graph: Pick<Graph, "nodes" | "outputs">): GraphNode[] {
  const needed = new Set(graph.outputs.map((v) => v.name));
  const keep = new Array<boolean>(graph.nodes.length).fill(false);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i];
    if (!n.outputs.some((o) => needed.has(o))) continue;
    keep[i] = true;
    for (const inp of n.inputs) if (inp) needed.add(inp);
  }
  return graph.nodes.filter((_, i) => keep[i]);
}

/**
 * `graph` itself when every node is live, otherwise a view of it with only the live nodes and the
 * constants they read (ORT warns about each unused initializer).
 */
export function pruned(graph: Graph): Graph {
  const nodes = liveNodes(graph);
  if (nodes.length === graph.nodes.length) return graph;
  const read = new Set(nodes.flatMap((n) => n.inputs));
  for (const v of graph.outputs) read.add(v.name);
  const constants = new Map([...graph.constants].filter(([name]) => read.has(name)));
  const view = { nodes, constants } as Record<PropertyKey, unknown>;
  return new Proxy(graph, { get: (t, k, r) => (k in view ? view[k] : Reflect.get(t, k, r)) });
}
