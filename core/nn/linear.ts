/**
 * Dense layers with torch naming: `weight` (out, in) and `bias` (out).
 *
 * The product is one `Gemm` with `transB = 1` on the weight as stored, with
 * the leading axes flattened around it. The obvious `MatMul(x, Transpose(W))`
 * makes ONNX Runtime constant-fold a transposed copy of every weight at
 * session creation (for TiTok-L-32, 2 GB of copies alive at once before
 * prepacking frees them), while Gemm prepacks W straight from its stored
 * layout. Reshape and Gemm are plain ONNX, so exported models stay portable.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import type { Dim } from "../graph/shape.ts";
import { concat, gemm, i64const, reshape, shapeOf } from "../ops/mod.ts";

/** y = x Wᵀ + b over the last axis; parameters live in the current scope. */
export function linear(g: Graph, x: Value, inFeatures: number, outFeatures: number, bias = true): Value {
  const w = g.param("weight", [outFeatures, inFeatures]);
  return timesTransposed(g, x, w, bias ? g.param("bias", [outFeatures]) : undefined);
}

/** x Wᵀ (+ b) over the last axis of `x` for a weight `w` stored (out, in), as torch stores it. */
export function timesTransposed(g: Graph, x: Value, w: Value, bias?: Value): Value {
  const [out, inFeatures] = w.shape as number[];
  if (x.shape.length === 2) return gemm(g, x, w, bias, { transB: true });
  const lead = x.shape.slice(0, -1);
  const rows = flatSize(lead);
  const flat = g.addNode("Reshape", [x, i64const(g, [-1, inFeatures])], {}, [{
    dtype: x.dtype,
    shape: [rows, inFeatures],
  }])[0];
  const y = gemm(g, flat, w, bias, { transB: true });
  const shape: Dim[] = [...lead, out];
  if (typeof rows === "number") return reshape(g, y, shape);
  // A symbolic batch in front: -1 recovers it. Symbols elsewhere: take the leading dims at run time.
  const target = lead.slice(1).every((d) => typeof d === "number")
    ? i64const(g, [-1, ...(lead.slice(1) as number[]), out])
    : concat(g, [shapeOf(g, x, 0, lead.length), i64const(g, [out])], 0);
  return g.addNode("Reshape", [y, target], {}, [{ dtype: x.dtype, shape }])[0];
}

/** The row count of the flattened leading dims: a number, or a symbol naming the product. */
function flatSize(lead: readonly Dim[]): Dim {
  if (lead.every((d) => typeof d === "number")) return (lead as number[]).reduce((a, b) => a * b, 1);
  return lead.join("*");
}
