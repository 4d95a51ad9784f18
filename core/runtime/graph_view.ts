/**
 * A rewritten view of a {@link Graph}: the caller's graph stays as built and
 * the view answers with replacement fields (nodes, constants, parameters…),
 * everything else read through. The graph passes applied when a session opens
 * (core/runtime/prune.ts, winograd_pass.ts, precision.ts) return such views.
 *
 * @example
 * ```ts
 * const view = graphView(graph, { nodes: graph.nodes.filter(keep) });
 * ```
 * @module
 */
import type { Graph, GraphNode, ParamSpec, Value } from "../graph/graph.ts";
import type { Tensor } from "../tensor.ts";

/** The fields a pass may replace. */
export type GraphOverrides = Partial<Pick<Graph, "nodes" | "constants" | "params" | "values" | "outputs">>;

/** `graph` with `overrides` in place of its own fields. */
export function graphView(graph: Graph, overrides: GraphOverrides): Graph {
  const view = overrides as Record<PropertyKey, unknown>;
  return new Proxy(graph, { get: (t, k, r) => (k in view ? view[k] : Reflect.get(t, k, r)) });
}

/** A parameter a pass introduces, with its tensor made on demand. */
export interface AddedParam {
  spec: ParamSpec;
  tensor: () => Tensor;
}

/**
 * The view of a pass that replaced nodes and introduced parameters: `nodes` in place of the graph's,
 * only the parameters and constants some node or output still reads, plus `added`. Returns the view
 * and the added parameters' tensors (made here), to pass beside the session's weights.
 */
export function viewWithParams(
  graph: Graph,
  nodes: GraphNode[],
  constants: Map<string, Tensor>,
  added: ReadonlyMap<string, AddedParam>,
): { graph: Graph; weights: Map<string, Tensor> } {
  const read = new Set(nodes.flatMap((n) => n.inputs));
  for (const v of graph.outputs) read.add(v.name);
  const params = new Map<string, ParamSpec>();
  for (const [name, p] of graph.params) if (read.has(name)) params.set(name, p);
  const weights = new Map<string, Tensor>();
  for (const [name, a] of added) {
    params.set(name, a.spec);
    weights.set(name, a.tensor());
  }
  for (const name of [...constants.keys()]) if (!read.has(name)) constants.delete(name);
  const values = new Map<string, Value>(graph.values);
  for (const p of params.values()) values.set(p.name, { name: p.name, dtype: p.dtype, shape: p.shape });
  return { graph: graphView(graph, { nodes, constants, params, values }), weights };
}
