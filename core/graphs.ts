/**
 * A family's named graph builders as the driver uses them: built once, on
 * first use; all parameters with their shapes (for checking a checkpoint
 * before any session opens); or every graph at once (tests, tools).
 *
 * @example
 * ```ts
 * const builders = memoGraphs(plugin.graphs(config, {}));
 * const shapes = parameterShapes(builders); // name → shape, over every graph
 * ```
 * @module
 */
import type { Graph } from "./graph/graph.ts";
import type { BuildOptions } from "./plugin.ts";

/** Builders that build each graph once, on first call. */
export function memoGraphs(builders: Record<string, () => Graph>): Record<string, () => Graph> {
  return Object.fromEntries(
    Object.entries(builders).map(([name, build]) => {
      let g: Graph | undefined;
      return [name, () => (g ??= build())];
    }),
  );
}

/** All parameters the graphs use, with their shapes (builds every graph once; no sessions). */
export function parameterShapes(builders: Record<string, () => Graph>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const build of Object.values(builders)) {
    for (const p of build().params.values()) out.set(p.name, p.shape);
  }
  return out;
}

/** Every graph of a family's config, built now (tests, tools that inspect parameters). */
export function buildGraphs(
  plugin: { graphs(config: never, opts: BuildOptions): Record<string, () => Graph> },
  config: unknown,
  opts: BuildOptions = {},
): Record<string, Graph> {
  const builders = plugin.graphs(config as never, opts);
  return Object.fromEntries(Object.entries(builders).map(([k, b]) => [k, b()]));
}
