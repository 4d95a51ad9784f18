/**
 * A forward-only graph from a family's loss builder: one named output of its
 * `outputs` (e.g. `reconstruction`), no gradients, and only the parameters and
 * inputs that output needs — what a discriminator-only step runs to get the
 * generator's current reconstruction without updating it.
 *
 * @example
 * ```ts
 * const g = forwardGraph("alit_reconstruct_3", alitLoss(cfg, { stage: "stage2", batch: 2, variant: 3 }), "reconstruction");
 * ```
 * @module
 */
import type { LossBuilder } from "../autodiff/train_step.ts";
import { Graph } from "../graph/graph.ts";
import { liveNodes } from "../runtime/prune.ts";

/** The graph of `loss` reduced to its output `output`. */
export function forwardGraph(name: string, loss: LossBuilder, output: string): Graph {
  const g = new Graph(name);
  const parts = loss(g);
  const v = parts.outputs?.[output];
  if (!v) throw new Error(`${name}: the loss declares no output '${output}'`);
  g.output(v, output);
  const read = new Set(liveNodes(g).flatMap((n) => n.inputs));
  read.add(output);
  for (const p of [...g.params.keys()]) if (!read.has(p)) g.params.delete(p);
  const inputs = g.inputs.filter((i) => read.has(i.name));
  g.inputs.splice(0, g.inputs.length, ...inputs);
  return g;
}
