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
import type { Graph } from "../graph/graph.ts";

/** The fields a pass may replace. */
export type GraphOverrides = Partial<Pick<Graph, "nodes" | "constants" | "params" | "values" | "outputs">>;

/** `graph` with `overrides` in place of its own fields. */
export function graphView(graph: Graph, overrides: GraphOverrides): Graph {
  const view = overrides as Record<PropertyKey, unknown>;
  return new Proxy(graph, { get: (t, k, r) => (k in view ? view[k] : Reflect.get(t, k, r)) });
}
