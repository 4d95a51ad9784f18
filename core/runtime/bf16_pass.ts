/**
 * `--precision bf16`: the weights of the weight-heavy ops (Gemm and MatMul
 * weights, Conv and ConvTranspose kernels) rounded to bfloat16. ONNX Runtime's
 * x86 CPU provider has no bfloat16 GEMM or conv kernel (MLAS's SBGEMM is
 * ARM64-only), and a bf16 initializer behind a Cast is folded back into a
 * float32 one when the session opens (and then hides the weight from the
 * Winograd pass), so the rounded values are stored as float32 directly: the
 * arithmetic stays float32 and this gives the quality of a bf16 checkpoint at
 * fp32 speed, no faster (bench/README.md "Precision"). Nodes made inside
 * `Graph.exact` keep their float32 weights.
 *
 * @example
 * ```ts
 * const { graph: g, weights: added } = bf16Rewrite(graph, weights);
 * ```
 * @module
 */
import type { Graph, GraphNode, ParamSpec, Value } from "../graph/graph.ts";
import { type Tensor, toFloat32 } from "../tensor.ts";
import { graphView } from "./graph_view.ts";
import type { Rewritten } from "./int8_pass.ts";
import { toBfloat16, WeightPool } from "./weight_quant.ts";

/** The input slot holding the weight of each weight-heavy op. */
const WEIGHT_SLOT: Record<string, number> = { Gemm: 1, MatMul: 1, Conv: 1, ConvTranspose: 1 };

/** `graph` with its heavy ops' weights rounded to bfloat16; `graph` itself when none is a parameter. */
export function bf16Rewrite(graph: Graph, weights: ReadonlyMap<string, Tensor>): Rewritten {
  const pool = new WeightPool();
  const rounded = new Map<string, { spec: ParamSpec; tensor: () => Tensor }>();
  const nodes: GraphNode[] = [];
  for (const n of graph.nodes) {
    const slot = WEIGHT_SLOT[n.op];
    const name = slot === undefined || n.domain || graph.exactNodes.has(n.name) ? undefined : n.inputs[slot];
    const p = name ? graph.params.get(name) : undefined;
    const t = p && weights.get(p.name);
    if (!p || !t || p.dtype !== "float32") {
      nodes.push(n);
      continue;
    }
    const key = `${p.name}::bf16`;
    if (!rounded.has(key)) {
      rounded.set(key, {
        spec: { name: key, dtype: "float32", shape: [...p.shape] },
        tensor: bf16Values(pool, t),
      });
    }
    const inputs = [...n.inputs];
    inputs[slot] = key;
    nodes.push({ ...n, inputs });
  }
  if (!rounded.size) return { graph, weights: new Map() };
  pool.finish();
  const read = new Set(nodes.flatMap((n) => n.inputs));
  const params = new Map([...graph.params].filter(([name]) => read.has(name)));
  const values = new Map<string, Value>(graph.values);
  const added = new Map<string, Tensor>();
  for (const r of rounded.values()) {
    params.set(r.spec.name, r.spec);
    added.set(r.spec.name, r.tensor());
    values.set(r.spec.name, { name: r.spec.name, dtype: "float32", shape: r.spec.shape });
  }
  return { graph: graphView(graph, { nodes, params, values }), weights: added };
}

/** float32 values that are exactly `t`'s bfloat16 rounding (what Cast(bf16 → float) would give). */
function bf16Values(pool: WeightPool, t: Tensor): () => Tensor {
  const w = (t.dtype === "float32" ? t : toFloat32(t)).data as Float32Array;
  return pool.reserve("float32", [...t.shape], (out) => {
    const half = new Uint16Array(w.length);
    toBfloat16(w, half);
    const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
    for (let i = 0; i < half.length; i++) bits[i] = half[i] << 16;
  }).tensor;
}
