/**
 * `--precision fp16` for CUDA and TensorRT: the graph rewritten to float16
 * with the usual mixed-precision rules. Inputs and outputs stay float32 (a
 * Cast at each end); weights read by float16 nodes are converted once on the
 * host; normalisations, softmax, reductions, exp/log/pow/sqrt, resizes and
 * every node made inside `Graph.exact` (a quantizer's distances and
 * roundings) keep float32, with Casts where a value crosses between the two.
 *
 * Nodes with no float32 input or output (shape arithmetic, int64 ids) are left
 * alone; a Cast node is kept float32 (its `to` is not retargeted) and its
 * float consumers cast again, which a GPU provider fuses.
 *
 * @example
 * ```ts
 * const { graph: half, weights: added } = fp16Rewrite(graph, weights);
 * ```
 * @module
 */
import { type Graph, type GraphNode, int, type ParamSpec, type Value } from "../graph/graph.ts";
import { ONNX_DTYPE } from "../onnx/proto.ts";
import type { Tensor } from "../tensor.ts";
import { graphView } from "./graph_view.ts";
import type { Rewritten } from "./int8_pass.ts";
import { roundWeight, WeightPool } from "./weight_quant.ts";

/** Ops that run in float32 under fp16 (overflow-prone reductions, type-bearing attributes, fixed-type inputs). */
export const KEEP_FP32: ReadonlySet<string> = new Set([
  "LayerNormalization",
  "GroupNormalization",
  "InstanceNormalization",
  "BatchNormalization",
  "Softmax",
  "LogSoftmax",
  "ReduceMean",
  "ReduceSum",
  "ReduceSumSquare",
  "ReduceL2",
  "ReduceLogSumExp",
  "Exp",
  "Log",
  "Pow",
  "Sqrt",
  "Reciprocal",
  "Resize",
  "Cast",
  "Constant",
  "ConstantOfShape",
  "Range",
  "EyeLike",
  "RandomNormal",
  "RandomNormalLike",
  "RandomUniform",
  "RandomUniformLike",
]);

/** `graph` in float16 outside the float32 islands; `graph` itself when it has no float node. */
export function fp16Rewrite(graph: Graph, weights: ReadonlyMap<string, Tensor>): Rewritten {
  const pool = new WeightPool();
  const isFloat = (name: string) => name !== "" && graph.values.get(name)?.dtype === "float32";
  const outputs = new Set(graph.outputs.map((v) => v.name));
  /** float32 values now produced as float16: original name → the float16 value's name. */
  const half = new Map<string, string>();
  /** Casts made so far, by target name (one per value and direction). */
  const casts = new Set<string>();
  const nodes: GraphNode[] = [];
  const constants = new Map(graph.constants);
  const added = new Map<string, { spec: ParamSpec; tensor: () => Tensor }>();
  const cast = (from: string, to: string, dtype: "float16" | "float32") => {
    if (!casts.has(to)) {
      casts.add(to);
      nodes.push({
        name: `${to}/Cast`,
        op: "Cast",
        inputs: [from],
        outputs: [to],
        attrs: { to: int(ONNX_DTYPE[dtype]) },
      });
    }
    return to;
  };
  /** A float16 version of float32 value `name`. */
  const as16 = (name: string): string => {
    const known = half.get(name);
    if (known) return known;
    const p = graph.params.get(name);
    const t = p && weights.get(name);
    const key = `${name}::fp16`;
    if (p && t) {
      if (!added.has(key)) {
        added.set(key, {
          spec: { ...p, name: key, dtype: "float16" },
          tensor: roundWeight(pool, t, "float16"),
        });
      }
      return key;
    }
    const c = graph.constants.get(name);
    if (c) {
      if (!constants.has(key)) {
        constants.set(key, { dtype: "float16", shape: c.shape, data: toHalf(c.data as Float32Array) });
      }
      return key;
    }
    return cast(name, key, "float16");
  };
  const as32 = (name: string): string => {
    const h = half.get(name);
    return h ? cast(h, `${name}::fp32`, "float32") : name;
  };
  let lowered = 0;
  for (const n of graph.nodes) {
    const floats = n.inputs.some(isFloat) || n.outputs.some(isFloat);
    if (!floats || n.domain || KEEP_FP32.has(n.op) || graph.exactNodes.has(n.name)) {
      nodes.push({ ...n, inputs: n.inputs.map(as32) });
      continue;
    }
    lowered++;
    const inputs = n.inputs.map((i) => (isFloat(i) ? as16(i) : i));
    const outs = n.outputs.map((o) => {
      if (!isFloat(o)) return o;
      // A graph output keeps its name and float32 type: the node writes a float16 twin, cast back below.
      const name = outputs.has(o) ? `${o}::fp16` : o;
      half.set(o, name);
      return name;
    });
    nodes.push({ ...n, inputs, outputs: outs });
    for (const o of n.outputs) if (outputs.has(o) && half.has(o)) cast(half.get(o)!, o, "float32");
  }
  if (!lowered) return { graph, weights: new Map() };
  pool.finish();
  const read = new Set(nodes.flatMap((n) => n.inputs));
  const params = new Map([...graph.params].filter(([name]) => read.has(name)));
  const values = new Map<string, Value>(graph.values);
  const tensors = new Map<string, Tensor>();
  for (const [name, a] of added) {
    params.set(name, a.spec);
    tensors.set(name, a.tensor());
  }
  for (const [name] of constants) if (!read.has(name)) constants.delete(name);
  for (const [o, h] of half) {
    const v = graph.values.get(o)!;
    values.set(h, { name: h, dtype: "float16", shape: v.shape });
  }
  return { graph: graphView(graph, { nodes, constants, params, values }), weights: tensors };
}

/** float32 → float16 bits (round to nearest even). */
function toHalf(x: Float32Array): Uint16Array {
  const out = new Uint16Array(x.length);
  new Float16Array(out.buffer).set(x);
  return out;
}
