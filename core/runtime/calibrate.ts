/**
 * Calibration for static int8 convs (core/runtime/int8_conv_pass.ts): runs a
 * graph in float32 on a few inputs and records the [min, max] of every value
 * an int8 conv would quantize — each eligible Conv's input and output. The
 * ranges are reduced inside the graph (a ReduceMin and a ReduceMax per value,
 * scalar outputs), so a decoder's large activations never leave ONNX Runtime.
 *
 * Min/max (not a percentile): the conv outputs requantized here feed
 * GroupNorm and residual adds, where a clipped outlier is a visible artefact,
 * and the activations of a VQGAN decoder have no long tails to waste range on
 * (bench/README.md, "int8 convs").
 *
 * @example
 * ```ts
 * const ranges = await calibrate(decoder, weights, [{ latent }], { threads: 2 });
 * const s = await Session.create(decoder, weights, { precision: "int8", int8: { ...INT8_RULE, ranges } });
 * ```
 * @module
 */
import type { Graph, GraphNode, Value } from "../graph/graph.ts";
import type { Tensor } from "../tensor.ts";
import { graphView } from "./graph_view.ts";
import { int8Convs, type Range } from "./int8_conv_pass.ts";
import { Session, type SessionOptions } from "./session.ts";
import { pruned } from "./prune.ts";
import { fuseRegions } from "./fusion_pass.ts";

export type { Range };

/** Names of the values a static int8 conv quantizes: each {@link int8Convs} conv's input and output. */
export function convActivations(graph: Graph, weights: ReadonlyMap<string, Tensor>): string[] {
  const convs = int8Convs(graph, weights);
  const names = new Set<string>();
  for (const n of graph.nodes) {
    if (!convs.has(n.name)) continue;
    names.add(n.inputs[0]);
    names.add(n.outputs[0]);
  }
  return [...names];
}

/** `graph` with two scalar outputs per name, `<name>/cal_min` and `<name>/cal_max`. */
export function withRangeTaps(graph: Graph, names: readonly string[]): Graph {
  const nodes: GraphNode[] = [...graph.nodes];
  const outputs: Value[] = [...graph.outputs];
  const values = new Map(graph.values);
  for (const name of names) {
    for (const op of ["ReduceMin", "ReduceMax"] as const) {
      const out = `${name}/cal_${op === "ReduceMin" ? "min" : "max"}`;
      nodes.push({
        name: out,
        op,
        inputs: [name],
        outputs: [out],
        attrs: { keepdims: { type: "int", value: 0 } },
      });
      const v: Value = { name: out, dtype: "float32", shape: [] };
      values.set(out, v);
      outputs.push(v);
    }
  }
  return graphView(graph, { nodes, outputs, values });
}

/** Folds one run's tapped outputs into `ranges`. */
export function foldRanges(
  ranges: Map<string, Range>,
  names: readonly string[],
  out: Record<string, Tensor>,
) {
  for (const name of names) {
    const lo = (out[`${name}/cal_min`].data as Float32Array)[0];
    const hi = (out[`${name}/cal_max`].data as Float32Array)[0];
    const r = ranges.get(name);
    ranges.set(name, r ? { min: Math.min(r.min, lo), max: Math.max(r.max, hi) } : { min: lo, max: hi });
  }
}

/**
 * The [min, max] over `feeds` (one run each) of every value {@link convActivations} names, from a
 * float32 session of `graph` (opened with `opts`, precision forced to fp32).
 */
export async function calibrate(
  graph: Graph,
  weights: Map<string, Tensor>,
  feeds: readonly Record<string, Tensor>[],
  opts: SessionOptions = {},
): Promise<Map<string, Range>> {
  const ranges = new Map<string, Range>();
  if (!feeds.length) return ranges;
  const s = await recordingSession(graph, weights, opts, ranges);
  try {
    for (const f of feeds) await s.run(f);
  } finally {
    await s.release();
  }
  return ranges;
}

/**
 * A float32 session of `graph` whose every run folds the ranges of the conv activations into
 * `ranges` (and returns the graph's own outputs only): what a tokenizer opens while it calibrates.
 */
export async function recordingSession(
  graph: Graph,
  weights: Map<string, Tensor>,
  opts: SessionOptions,
  ranges: Map<string, Range>,
): Promise<Session> {
  // The graph as Session.create hands it to the precision pass: pruned, then fused (the phase convs
  // of an upsampling conv exist only in the fused form).
  const fuse = opts.fuse ?? (opts.device ?? "cpu") === "cpu";
  const plain = pruned(graph);
  const fused = fuse ? fuseRegions(plain, fuse === true ? () => true : fuse) : plain;
  const names = convActivations(fused, weights);
  const s = await Session.create(withRangeTaps(fused, names), weights, {
    ...opts,
    precision: "fp32",
    fuse: false,
    inPlace: undefined,
  });
  const run = s.run.bind(s);
  s.run = async (feeds) => {
    const out = await run(feeds);
    foldRanges(ranges, names, out);
    for (const name of names) {
      delete out[`${name}/cal_min`];
      delete out[`${name}/cal_max`];
    }
    return out;
  };
  return s;
}
