/**
 * Host-side evaluation of weights a graph computes from its parameters with
 * MatMul and Transpose only — the folded kernels of core/nn/upsample_conv.ts's
 * phase convs, (out, in, 3, 3) × fold constants → (out, in, 2, 2) — so a
 * precision pass can quantize them like stored weights (ONNX Runtime would
 * constant-fold them at load anyway, after the pass could see them).
 *
 * Anything else (a value downstream of a graph input, another op) is not
 * foldable; evaluation is float32 with float64 accumulation.
 *
 * @example
 * ```ts
 * const fold = weightFolder(graph, weights);
 * const kernel = fold(conv.inputs[1]); // Tensor or undefined
 * ```
 * @module
 */
import type { Graph, GraphNode } from "../graph/graph.ts";
import { type Tensor, toFloat32 } from "../tensor.ts";

/** A memoised evaluator: value name → its float32 tensor when computable from weights and constants. */
export function weightFolder(
  graph: Graph,
  weights: ReadonlyMap<string, Tensor>,
): (name: string) => Tensor<"float32"> | undefined {
  const producer = new Map<string, GraphNode>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const memo = new Map<string, Tensor<"float32"> | undefined>();
  const asFloat = (t: Tensor | undefined) =>
    !t
      ? undefined
      : t.dtype === "float32"
      ? t as Tensor<"float32">
      : t.dtype === "float64"
      ? toFloat32(t)
      : undefined;
  const value = (name: string): Tensor<"float32"> | undefined => {
    if (memo.has(name)) return memo.get(name);
    memo.set(name, undefined); // cycles cannot occur in a DAG; this guards re-entry anyway
    let out: Tensor<"float32"> | undefined;
    if (graph.params.has(name)) out = asFloat(weights.get(name));
    else if (graph.constants.has(name)) out = asFloat(graph.constants.get(name));
    else {
      const n = producer.get(name);
      if (n && !n.domain && n.outputs.length === 1) {
        if (n.op === "MatMul") {
          const a = value(n.inputs[0]), b = value(n.inputs[1]);
          out = a && b ? matmul(a, b) : undefined;
        } else if (n.op === "Transpose" && n.attrs.perm?.type === "ints") {
          const a = value(n.inputs[0]);
          out = a ? transpose(a, n.attrs.perm.value) : undefined;
        }
      }
    }
    memo.set(name, out);
    return out;
  };
  return value;
}

const strides = (shape: readonly number[]) => {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
};

/** numpy-style matmul of rank ≥ 2 tensors with broadcast batch dims. */
export function matmul(a: Tensor<"float32">, b: Tensor<"float32">): Tensor<"float32"> | undefined {
  if (a.shape.length < 2 || b.shape.length < 2) return undefined;
  const [m, k] = a.shape.slice(-2), [k2, n] = b.shape.slice(-2);
  if (k !== k2) return undefined;
  const la = a.shape.slice(0, -2), lb = b.shape.slice(0, -2);
  const rank = Math.max(la.length, lb.length);
  const pa = [...new Array(rank - la.length).fill(1), ...la],
    pb = [...new Array(rank - lb.length).fill(1), ...lb];
  if (pa.some((d, i) => d !== pb[i] && d !== 1 && pb[i] !== 1)) return undefined;
  const lead = pa.map((d, i) => Math.max(d, pb[i]));
  const sa = strides(pa), sb = strides(pb), sl = strides(lead);
  const batches = lead.reduce((x, y) => x * y, 1);
  const out = new Float32Array(batches * m * n);
  for (let t = 0; t < batches; t++) {
    let oa = 0, ob = 0;
    for (let i = 0; i < rank; i++) {
      const idx = Math.floor(t / sl[i]) % lead[i];
      oa += (pa[i] === 1 ? 0 : idx) * sa[i];
      ob += (pb[i] === 1 ? 0 : idx) * sb[i];
    }
    const A = a.data.subarray(oa * m * k, (oa + 1) * m * k),
      B = b.data.subarray(ob * k * n, (ob + 1) * k * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += A[i * k + q] * B[q * n + j];
        out[(t * m + i) * n + j] = s;
      }
    }
  }
  return { dtype: "float32", shape: [...lead, m, n], data: out };
}

/** Transpose by `perm`. */
export function transpose(a: Tensor<"float32">, perm: readonly number[]): Tensor<"float32"> | undefined {
  if (perm.length !== a.shape.length) return undefined;
  const shape = perm.map((p) => a.shape[p]);
  const si = strides(a.shape), so = strides(shape);
  const out = new Float32Array(a.data.length);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += (Math.floor(o / so[d]) % shape[d]) * si[perm[d]];
    out[o] = a.data[src];
  }
  return { dtype: "float32", shape, data: out };
}
