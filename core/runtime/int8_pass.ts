/**
 * `--precision int8`: int8 quantization of the weight-heavy ops, applied
 * when a CPU session opens. Weights are quantized once on the host, per output
 * channel and symmetric; a Linear's activations are quantized per tensor at
 * run time by ONNX Runtime (dynamic: no calibration data), a conv's from
 * calibrated ranges (static); both uint8, asymmetric, and the integer products
 * run on MLAS's u8×s8 kernels (AVX512-VNNI here).
 *
 * - `Gemm(x, W, b)` (a Linear, W stored (out, in)) and `MatMul(x, W)` whose
 *   weight is a loaded parameter → com.microsoft `DynamicQuantizeMatMul`
 *   (the node ORT's own quantize_dynamic ends in: it fuses DynamicQuantizeLinear
 *   + MatMulInteger into it). TiTok-S-128's encoder at batch 4 ran 2.1× faster
 *   than fp32 (bench/README.md "Precision").
 * - `Conv` whose input and output have calibrated ranges ({@link Int8Rule.ranges};
 *   core/runtime/calibrate.ts) → static QDQ int8 (core/runtime/int8_conv_pass.ts),
 *   which ORT fuses into `QLinearConv`: on a 3×3 128→128 conv at 256² it ran
 *   ~1.8× faster than fp32 Winograd (bench/README.md "Which ops"). A tokenizer
 *   calibrates on a few photos before its int8 sessions open
 *   (core/tokenizer_calibration.ts).
 * - `Conv` without ranges → `DynamicQuantizeLinear` + `ConvInteger` + rescale,
 *   only when {@link Int8Rule.conv} says so: off by default, because ORT's
 *   ConvInteger (im2col, then three elementwise passes to rescale) made the
 *   S-128 VQGAN decoder 3.5× slower than fp32 with Winograd.
 *
 * Left in float32: nodes made inside `Graph.exact` (a quantizer's distances,
 * roundings and codebook matmuls, where one rounding flips a token id), ops
 * whose weight is computed (an L2-normalised codebook, a transposed weight),
 * LayerNorm, softmax, attention's activation×activation matmuls, and weights
 * smaller than {@link Int8Rule.minElements} (the quantize step costs more than
 * it saves).
 *
 * @example
 * ```ts
 * const { graph: q, weights: added } = int8Rewrite(graph, weights);
 * ```
 * @module
 */
import { type Graph, type GraphNode, int } from "../graph/graph.ts";
import { ONNX_DTYPE } from "../onnx/proto.ts";
import type { Tensor } from "../tensor.ts";
import { type AddedParam, viewWithParams } from "./graph_view.ts";
import { quantizeInt8, type WeightLayout, WeightPool } from "./weight_quant.ts";
import { int8ConvRewrite, type Range } from "./int8_conv_pass.ts";

/** Which ops int8 covers. */
export interface Int8Rule {
  /** Quantize the convs without calibrated ranges too, dynamically (ConvInteger: slower than fp32 here). */
  conv: boolean;
  /** Weights with fewer elements stay float32. */
  minElements: number;
  /**
   * Calibrated activation ranges by value name (core/runtime/calibrate.ts): each Conv whose input
   * and output have one runs as a static QDQ int8 conv (QLinearConv; core/runtime/int8_conv_pass.ts).
   */
  ranges?: ReadonlyMap<string, Range>;
}

/** The default rule (bench/precision_bench.ts, bench/README.md "Precision"). */
export const INT8_RULE: Int8Rule = { conv: false, minElements: 256 };

/** A rewritten graph plus the tensors of the parameters it added. */
export interface Rewritten {
  graph: Graph;
  weights: Map<string, Tensor>;
}

const MS = "com.microsoft";

/** `graph` with its weight-heavy ops in int8; `graph` itself (and no weights) when none qualifies. */
export function int8Rewrite(
  graph: Graph,
  weights: ReadonlyMap<string, Tensor>,
  rule: Int8Rule = INT8_RULE,
): Rewritten {
  if (rule.ranges?.size) {
    // Calibrated convs first (static QDQ), then the Linear/MatMul rewrite over the result.
    const convs = int8ConvRewrite(graph, weights, rule.ranges, rule.minElements);
    if (convs.weights.size) {
      const all = new Map([...weights, ...convs.weights]);
      const rest = int8Rewrite(convs.graph, all, { ...rule, ranges: undefined });
      return { graph: rest.graph, weights: new Map([...convs.weights, ...rest.weights]) };
    }
  }
  const pool = new WeightPool();
  const added = new Map<string, AddedParam>();
  const nodes: GraphNode[] = [];
  const constants = new Map(graph.constants);
  let rewritten = 0;
  const weightOf = (name: string | undefined, rank: number) => {
    const p = name ? graph.params.get(name) : undefined;
    const t = p && weights.get(p.name);
    return t && p.shape.length === rank && t.data.length >= rule.minElements ? t : undefined;
  };
  /** The int8 codes and scale parameters of weight `name` in `layout` (shared by its consumers). */
  const quantized = (name: string, layout: WeightLayout) => {
    const key = `${name}::int8_${layout}`;
    if (!added.has(key)) {
      const q = quantizeInt8(pool, weights.get(name)!, layout);
      const t = weights.get(name)!;
      const codeShape = layout === "conv"
        ? [...t.shape]
        : layout === "out-in"
        ? [t.shape[1], t.shape[0]]
        : [...t.shape];
      const channels = layout === "in-out" ? t.shape[1] : t.shape[0];
      added.set(key, {
        spec: { name: key, dtype: "int8", shape: codeShape },
        tensor: q.codes,
      });
      added.set(`${key}_scale`, {
        spec: { name: `${key}_scale`, dtype: "float32", shape: [channels] },
        tensor: q.scale,
      });
    }
    return { codes: key, scale: `${key}_scale` };
  };
  for (const n of graph.nodes) {
    const replaced = graph.exactNodes.has(n.name) || n.domain ? undefined : rewrite(n);
    if (replaced) {
      nodes.push(...replaced);
      rewritten++;
    } else nodes.push(n);
  }
  if (!rewritten) return { graph, weights: new Map() };
  pool.finish();
  return viewWithParams(graph, nodes, constants, added);

  function rewrite(n: GraphNode): GraphNode[] | undefined {
    if (n.op === "Gemm") return gemm(n);
    if (n.op === "MatMul" && weightOf(n.inputs[1], 2)) {
      const q = quantized(n.inputs[1], "in-out");
      return [dqMatMul(n, n.inputs[0], q, "")];
    }
    if (n.op === "Conv" && rule.conv) return conv(n);
    return undefined;
  }

  function gemm(n: GraphNode): GraphNode[] | undefined {
    const attr = (k: string, d: number) =>
      (n.attrs[k]?.type === "int" || n.attrs[k]?.type === "float") ? n.attrs[k].value as number : d;
    if (attr("alpha", 1) !== 1 || attr("beta", 1) !== 1 || attr("transA", 0) !== 0) return undefined;
    if (!weightOf(n.inputs[1], 2)) return undefined;
    const bias = n.inputs[2] ? graph.values.get(n.inputs[2]) : undefined;
    const wShape = graph.params.get(n.inputs[1])!.shape;
    const outFeatures = attr("transB", 0) ? wShape[0] : wShape[1];
    if (bias && !(bias.shape.length === 1 && bias.shape[0] === outFeatures)) return undefined;
    const q = quantized(n.inputs[1], attr("transB", 0) ? "out-in" : "in-out");
    return [dqMatMul(n, n.inputs[0], q, bias?.name ?? "")];
  }

  function conv(n: GraphNode): GraphNode[] | undefined {
    const w = weightOf(n.inputs[1], graph.params.get(n.inputs[1] ?? "")?.shape.length ?? 0);
    const x = graph.values.get(n.inputs[0]);
    if (!w || w.shape.length < 3 || !x || x.dtype !== "float32") return undefined;
    const q = quantized(n.inputs[1], "conv");
    const id = `${n.name}/int8`;
    const channelShape = [1, w.shape[0], ...w.shape.slice(2).map(() => 1)];
    const shape = `${id}/channel_shape`;
    constants.set(shape, {
      dtype: "int64",
      shape: [channelShape.length],
      data: BigInt64Array.from(channelShape, BigInt),
    });
    const out = n.outputs[0];
    const chain: GraphNode[] = [
      node(`${id}/quantize_x`, "DynamicQuantizeLinear", [n.inputs[0]], [`${id}/xq`, `${id}/xs`, `${id}/xz`]),
      {
        ...node(`${id}/conv`, "ConvInteger", [`${id}/xq`, q.codes, `${id}/xz`], [`${id}/acc`]),
        attrs: n.attrs,
      },
      {
        ...node(`${id}/float`, "Cast", [`${id}/acc`], [`${id}/accf`]),
        attrs: { to: int(ONNX_DTYPE.float32) },
      },
      node(`${id}/scale_shape`, "Reshape", [q.scale, shape], [`${id}/ws`]),
      node(`${id}/scale`, "Mul", [`${id}/ws`, `${id}/xs`], [`${id}/s`]),
      node(`${id}/rescale`, "Mul", [`${id}/accf`, `${id}/s`], [n.inputs[2] ? `${id}/y` : out]),
    ];
    if (n.inputs[2]) {
      chain.push(node(`${id}/bias_shape`, "Reshape", [n.inputs[2], shape], [`${id}/b`]));
      chain.push(node(`${id}/bias`, "Add", [`${id}/y`, `${id}/b`], [out]));
    }
    return chain;
  }
}

/** DynamicQuantizeMatMul(x, codes, scale, no zero point, bias) writing `n`'s output. */
function dqMatMul(n: GraphNode, x: string, q: { codes: string; scale: string }, bias: string): GraphNode {
  const inputs = bias ? [x, q.codes, q.scale, "", bias] : [x, q.codes, q.scale];
  return { ...node(`${n.name}/int8`, "DynamicQuantizeMatMul", inputs, n.outputs), domain: MS };
}

function node(name: string, op: string, inputs: string[], outputs: string[]): GraphNode {
  return { name, op, inputs, outputs, attrs: {} };
}
