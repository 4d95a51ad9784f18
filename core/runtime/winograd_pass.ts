/**
 * Rewrites a graph's wide 3×3 convolutions into Winograd F(4×4, 3×3)
 * (core/nn/winograd.ts) before a CPU session is opened. On ONNX Runtime's CPU
 * provider a VQGAN-style decoder spends ~85 % of its time in 3×3 convs that
 * MLAS already runs near the cores' peak, so fewer multiplies is what is left;
 * Winograd does 4× fewer in the channel GEMM and pays with transform passes,
 * which only a wide conv amortises (bench/README.md, "Conv decoders").
 *
 * Only Conv nodes whose weight is loaded are rewritten: a train step feeds
 * its trainable weights, so its convs (and their gradients) stay as built.
 * The caller's graph is not modified; the result is a view with the
 * replacement nodes.
 *
 * @example
 * ```ts
 * const { graph: fast, unfolded } = winogradRewrite(pruned(graph), weights);
 * ```
 * @module
 */
import { Graph, type GraphNode, type Value } from "../graph/graph.ts";
import { winogradConv3x3, winogradFits } from "../nn/winograd.ts";
import { graphView } from "./graph_view.ts";

/**
 * Which convs are rewritten. `minChannels`: both sides at least this wide (the transforms cost per
 * input channel, the saving per channel pair). `minPixels`: H·W at least this — the filter
 * transform (4× the weight, made per run) and the tile transforms cost per call while the saving
 * grows with the image. The default takes every level of a VQGAN down to 16²: on the f16
 * MaskGIT-VQGAN decoder the 512-channel 16² and 256-channel 32² convs give 13–15 % less time at
 * batch 4 (bench/README.md, "conv_decoder_bench.ts").
 */
export interface WinogradRule {
  minChannels: number;
  minPixels: number;
  /**
   * Largest tile tensor, in bytes per item, a conv transforms at once; wider ones run in horizontal
   * strips (`WinogradLayout.strips`), so their tiles (2.25× the activation, input and output side)
   * never exist for the whole batch. Default: no strips.
   */
  stripBytes?: number;
}

/** The default rule (bench/conv_decoder_bench.ts, bench/README.md "Conv decoders"). */
export const WINOGRAD_RULE: WinogradRule = { minChannels: 128, minPixels: 16 * 16, stripBytes: 24 * 2 ** 20 };

/**
 * The rule for one item per call: there the 16² and 32² levels' GEMMs have 16–64 tiles and their
 * gain is inside the noise (bench/README.md, "Winograd down to 16²"), while their per-run filter
 * transforms (most of a VQGAN decoder's weights, ×4) are not amortised over a batch — so they stay direct.
 */
export const WINOGRAD_RULE_SINGLE: WinogradRule = { minChannels: 128, minPixels: 64 * 64 };

/**
 * `graph` with each eligible Conv replaced by its Winograd form (`graph` itself when none is),
 * reading the same 3×3 weight, and the names of the weights so read as `unfolded`: initializers ORT
 * must not constant-fold through. Each conv makes its filter transform as it runs (one small Gemm);
 * folded, U would be held for the session's life at 4× the weight, and its intermediates set the
 * peak RSS of opening a VQGAN decoder. Convs whose weight is not in `weights` (tensors, or weights
 * ORT reads from a file: only their dtype is looked at) — fed at run time — stay as built, and so do
 * convs whose weight another kind of node reads too.
 */
export function winogradRewrite(
  graph: Graph,
  weights: ReadonlyMap<string, { dtype: string }>,
  rule: WinogradRule = WINOGRAD_RULE,
): { graph: Graph; unfolded: Set<string> } {
  const scratch = new Graph(`${graph.name}_winograd`);
  const nodes: GraphNode[] = [];
  const unfolded = new Set<string>();
  const convs = new Map(
    graph.nodes.map((n) => [n, eligible(graph, n, (name) => isLoaded(weights, name), rule)]),
  );
  // A weight another kind of node also reads (a train step's backward, say) stays direct: unfolded, its
  // other readers would lose their folded, prepacked forms, and a gradient would meet Winograd's error.
  const shared = new Set(graph.nodes.flatMap((n) => convs.get(n) ? [] : n.inputs));
  for (const n of graph.nodes) {
    const found = convs.get(n);
    const conv = found && !shared.has(found.w.name) ? found : undefined;
    if (!conv) {
      nodes.push(n);
      continue;
    }
    unfolded.add(conv.w.name);
    const [o, c] = conv.w.shape as number[];
    const [h, w] = conv.x.shape.slice(2) as number[];
    const tileBytes = 36 * Math.max(o, c) * (h * w / 16) * 4;
    const strips = rule.stripBytes ? Math.ceil(tileBytes / rule.stripBytes) : 1;
    const first = scratch.nodes.length;
    const y = scratch.scope(n.name, () => winogradConv3x3(scratch, conv.x, conv.w, conv.b, { strips }));
    const added = scratch.nodes.slice(first);
    // The last node computes the conv's output: give it the original name its consumers read.
    const last = added[added.length - 1];
    last.outputs = last.outputs.map((o) => (o === y.name ? n.outputs[0] : o));
    nodes.push(...added);
  }
  if (!unfolded.size) return { graph, unfolded };
  const view = graphView(graph, {
    nodes,
    constants: new Map([...graph.constants, ...scratch.constants]),
    values: new Map([...graph.values, ...scratch.values]),
  });
  return { graph: view, unfolded };
}

/** A weight the rewrite can transform: loaded (not fed), in a float type. */
function isLoaded(weights: ReadonlyMap<string, { dtype: string }>, name: string): boolean {
  return ["float32", "float16", "bfloat16", "float64"].includes(weights.get(name)?.dtype ?? "");
}

/** The weights whose convs {@link winogradRewrite} rewrites. */
export function winogradWeights(
  graph: Graph,
  isStatic: (name: string) => boolean,
  rule: WinogradRule = WINOGRAD_RULE,
): Set<string> {
  return new Set(graph.nodes.flatMap((n) => {
    const conv = eligible(graph, n, isStatic, rule);
    return conv ? [conv.w.name] : [];
  }));
}

/** The conv's operands when `n` is a 3×3, stride-1, pad-1, ungrouped Conv the rule accepts. */
function eligible(
  graph: Graph,
  n: GraphNode,
  isStatic: (name: string) => boolean,
  rule: WinogradRule,
): { x: Value; w: Value; b?: Value } | undefined {
  if (n.op !== "Conv" || n.domain || n.inputs.length < 2 || !isStatic(n.inputs[1])) return undefined;
  const ints = (key: string, fallback: number[]) => {
    const a = n.attrs[key];
    return a?.type === "ints" ? a.value : fallback;
  };
  const group = n.attrs.group;
  if (group && !(group.type === "int" && group.value === 1)) return undefined;
  if (n.attrs.auto_pad && !(n.attrs.auto_pad.type === "string" && n.attrs.auto_pad.value === "NOTSET")) {
    return undefined;
  }
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  if (
    !same(ints("strides", [1, 1]), [1, 1]) || !same(ints("dilations", [1, 1]), [1, 1]) ||
    !same(ints("pads", [0, 0, 0, 0]), [1, 1, 1, 1])
  ) return undefined;
  const x = graph.values.get(n.inputs[0]);
  const w = graph.values.get(n.inputs[1]);
  const b = n.inputs[2] ? graph.values.get(n.inputs[2]) : undefined;
  if (!x || !w || x.dtype !== "float32" || w.shape.length !== 4 || !winogradFits(x)) return undefined;
  const [o, c, kh, kw] = w.shape as number[];
  const pixels = (x.shape[2] as number) * (x.shape[3] as number);
  if (kh !== 3 || kw !== 3 || Math.min(o, c) < rule.minChannels || pixels < rule.minPixels) return undefined;
  return { x, w, b };
}
