/**
 * Static int8 convolutions for `--precision int8`: each Conv whose weight is a
 * loaded parameter and whose input and output ranges were calibrated
 * (core/runtime/calibrate.ts) becomes the QDQ pattern ONNX Runtime fuses into
 * `QLinearConv` (MLAS's u8×s8 kernels, NHWC; AVX512-VNNI here):
 *
 *   x → QuantizeLinear(u8) → DequantizeLinear ┐
 *   W → int8 codes (per output channel) → DQ ─┼→ Conv → QuantizeLinear(u8) → DequantizeLinear → y
 *   b → int32 (scale s_x·s_w) → DQ ───────────┘
 *
 * Activations are uint8, asymmetric, one scale per tensor taken from the
 * calibrated [min, max] (widened to hold 0, so zero padding is exact); weights
 * are symmetric int8 per output channel (weight_quant.ts). A tensor read by
 * several convs is quantized once. Unlike ORT's `ConvInteger` (int8 GEMM, then
 * three float passes to rescale), QLinearConv requantizes inside its kernel,
 * so the float graph around it only pays one Q and one DQ pass per conv.
 *
 * Convs without both ranges, inside `Graph.exact`, with a computed weight or
 * a non-float input stay as they are (float32; the Winograd pass may still
 * take them).
 *
 * @example
 * ```ts
 * const ranges = await calibrate(graph, weights, [feeds]);
 * const { graph: q, weights: added } = int8ConvRewrite(graph, weights, ranges);
 * ```
 * @module
 */
import type { Graph, GraphNode, ParamSpec } from "../graph/graph.ts";
import type { Tensor } from "../tensor.ts";
import { type AddedParam, viewWithParams } from "./graph_view.ts";
import { quantizeInt8, WeightPool } from "./weight_quant.ts";
import type { Rewritten } from "./int8_pass.ts";
import { weightFolder } from "./fold_weights.ts";
import { liveNodes } from "./prune.ts";

/** A calibrated activation range. */
export interface Range {
  min: number;
  max: number;
}

/** uint8 quantization parameters of a tensor with range `r` (0 always representable exactly). */
export function uint8Params(r: Range): { scale: number; zeroPoint: number } {
  const lo = Math.min(r.min, 0), hi = Math.max(r.max, 0);
  const scale = Math.fround(hi > lo ? (hi - lo) / 255 : 1);
  const zeroPoint = Math.max(0, Math.min(255, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}

/**
 * `graph` with every calibrated Conv in QDQ int8 form, plus the tensors it added (weight codes and
 * scales, int32 biases); `graph` itself and no weights when no conv qualifies. `minElements`: smaller
 * weights stay float32.
 */
export function int8ConvRewrite(
  graph: Graph,
  weights: ReadonlyMap<string, Tensor>,
  ranges: ReadonlyMap<string, Range>,
  minElements = 256,
): Rewritten {
  const pool = new WeightPool();
  const added = new Map<string, AddedParam>();
  const constants = new Map(graph.constants);
  const nodes: GraphNode[] = [];
  /** Per activation tensor: its scale/zero-point constants and (once made) its uint8 form. */
  const act = new Map<string, { scale: string; zero: string; q?: string }>();
  let rewritten = 0;

  const qparams = (name: string) => {
    let a = act.get(name);
    if (!a) {
      const { scale, zeroPoint } = uint8Params(ranges.get(name)!);
      a = { scale: `${name}/int8_scale`, zero: `${name}/int8_zero` };
      constants.set(a.scale, { dtype: "float32", shape: [], data: Float32Array.of(scale) });
      constants.set(a.zero, { dtype: "uint8", shape: [], data: Uint8Array.of(zeroPoint) });
      act.set(name, a);
    }
    return a;
  };
  const param = (spec: ParamSpec, tensor: () => Tensor) => {
    added.set(spec.name, { spec, tensor });
    return spec.name;
  };

  const fold = weightFolder(graph, weights);
  const convs = int8Convs(graph, weights, minElements, fold);
  for (const n of graph.nodes) {
    const w = convs.get(n.name);
    const chain = w && ranges.has(n.inputs[0]) && ranges.has(n.outputs[0]) ? conv(n, w) : undefined;
    if (chain) {
      nodes.push(...chain);
      rewritten++;
    } else nodes.push(n);
  }
  if (!rewritten) return { graph, weights: new Map() };
  pool.finish();
  // The nodes that computed a folded kernel (an upsampling conv's MatMuls) are dead now: drop them
  // and the float32 weights only they read.
  return viewWithParams(graph, liveNodes({ nodes, outputs: graph.outputs }), constants, added);

  function conv(n: GraphNode, w: Tensor<"float32">): GraphNode[] {
    const [xName, wName, bName] = n.inputs;
    const id = `${n.name}/int8`;
    const chain: GraphNode[] = [];
    const x = qparams(xName);
    if (!x.q) {
      x.q = `${xName}/int8`;
      chain.push(node(`${xName}/int8_quantize`, "QuantizeLinear", [xName, x.scale, x.zero], [x.q]));
    }
    const q = quantizeInt8(pool, w, "conv");
    const channels = w.shape[0];
    const codes = param({ name: `${wName}::int8_conv`, dtype: "int8", shape: [...w.shape] }, q.codes);
    const wScale = param({ name: `${wName}::int8_conv_scale`, dtype: "float32", shape: [channels] }, q.scale);
    const wZero = `${id}/w_zero`;
    constants.set(wZero, { dtype: "int8", shape: [channels], data: new Int8Array(channels) });
    chain.push(node(`${id}/dq_x`, "DequantizeLinear", [x.q, x.scale, x.zero], [`${id}/x`]));
    chain.push({
      ...node(`${id}/dq_w`, "DequantizeLinear", [codes, wScale, wZero], [`${id}/w`]),
      attrs: AXIS0,
    });
    const inputs = [`${id}/x`, `${id}/w`];
    if (bName) {
      // The bias in int32 at scale s_x·s_w[c] (what QLinearConv adds to its accumulator).
      const sx = uint8Params(ranges.get(xName)!).scale;
      const b = fold(bName)!.data;
      const bScale = pool.reserve("float32", [channels], (s) => {
        for (let c = 0; c < channels; c++) s[c] = sx * q.scale().data[c];
      });
      const bCodes = pool.reserve("int32", [channels], (v) => {
        for (let c = 0; c < channels; c++) v[c] = Math.round(b[c] / bScale.tensor().data[c]);
      });
      const bq = param({ name: `${id}::bias_int32`, dtype: "int32", shape: [channels] }, bCodes.tensor);
      const bs = param(
        { name: `${id}::bias_int32_scale`, dtype: "float32", shape: [channels] },
        bScale.tensor,
      );
      const bZero = `${id}/b_zero`;
      constants.set(bZero, { dtype: "int32", shape: [channels], data: new Int32Array(channels) });
      chain.push({ ...node(`${id}/dq_b`, "DequantizeLinear", [bq, bs, bZero], [`${id}/b`]), attrs: AXIS0 });
      inputs.push(`${id}/b`);
    }
    const y = qparams(n.outputs[0]);
    chain.push({ ...n, name: `${id}/conv`, inputs, outputs: [`${id}/y`] });
    chain.push(node(`${id}/quantize_y`, "QuantizeLinear", [`${id}/y`, y.scale, y.zero], [`${id}/yq`]));
    chain.push(node(`${id}/dq_y`, "DequantizeLinear", [`${id}/yq`, y.scale, y.zero], [n.outputs[0]]));
    // A conv reading this output takes the uint8 tensor itself (no second QuantizeLinear).
    y.q ??= `${id}/yq`;
    return chain;
  }
}

/**
 * The Convs {@link int8ConvRewrite} may quantize, with their float32 weights: outside `Graph.exact`,
 * a float32 input, a weight that is a loaded parameter or computed from parameters by MatMul/Transpose
 * (core/runtime/fold_weights.ts), a bias likewise (or none), at least `minElements` weights and
 * {@link MIN_OUT_CHANNELS} output channels and {@link MIN_REDUCTION} products per output value.
 */
export function int8Convs(
  graph: Graph,
  weights: ReadonlyMap<string, Tensor>,
  minElements = 256,
  fold = weightFolder(graph, weights),
): Map<string, Tensor<"float32">> {
  const out = new Map<string, Tensor<"float32">>();
  for (const n of graph.nodes) {
    if (n.op !== "Conv" || n.domain || graph.exactNodes.has(n.name) || n.inputs.length < 2) continue;
    if (graph.values.get(n.inputs[0])?.dtype !== "float32") continue;
    const w = fold(n.inputs[1]);
    if (!w || w.shape.length < 3 || w.data.length < minElements || w.shape[0] < MIN_OUT_CHANNELS) continue;
    if (w.data.length / w.shape[0] < MIN_REDUCTION) continue;
    if (n.inputs[2] && !fold(n.inputs[2])) continue;
    out.set(n.name, w);
  }
  return out;
}

/**
 * Convs with fewer output channels stay float32: MLAS's int8 conv packs output channels in blocks,
 * and a VQGAN's 128→3 output conv ran 2.8× slower as QLinearConv than in float32 (bench/README.md).
 */
export const MIN_OUT_CHANNELS = 16;

/**
 * Convs summing fewer products per output value (input channels × kernel taps) stay float32: a
 * short dot product gains little from int8 while the QDQ passes and the requantized output still
 * cost. The default model's 64→48 1×1 pixel head (its last conv before the image) moved PSNR by
 * −0.085 dB in int8 for no measurable speed-up; a patch embedding (3 × 4 × 4 = 48) is as short.
 */
export const MIN_REDUCTION = 128;

const AXIS0 = { axis: { type: "int" as const, value: 0 } };

function node(name: string, op: string, inputs: string[], outputs: string[]): GraphNode {
  return { name, op, inputs, outputs, attrs: {} };
}
