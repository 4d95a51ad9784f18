/**
 * ONNX `MatMul`: numpy matmul; leading dims broadcast, 1-D operands are not used by tok1d.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { broadcast, fmt } from "../graph/shape.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { unbroadcast } from "./_grad/unbroadcast.ts";
import { swapLastTwo, transposedFrom } from "./_grad/rule.ts";
import { transpose } from "./transpose.ts";
import { reshape } from "./reshape.ts";

/** `a @ b` over the last two axes. */
export function matmul(g: Graph, a: Value, b: Value): Value {
  const [m, k1] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (
    a.shape.length < 2 || b.shape.length < 2 ||
    (k1 !== k2 && typeof k1 === "number" && typeof k2 === "number")
  ) {
    throw new Error(`MatMul: ${a.name}${fmt(a.shape)} @ ${b.name}${fmt(b.shape)} do not match`);
  }
  const lead = broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2), "MatMul");
  return g.addNode("MatMul", [a, b], {}, [{ dtype: a.dtype, shape: [...lead, m, n] }])[0];
}

export const def: OpDef = {
  key: "MatMul",
  type: "MatMul",
  // `transposeB`: b is given untransposed and multiplied as bᵀ (exercises the rule's Transpose path).
  emit: (g, [a, b], o) => [matmul(g, a, o?.transposeB ? transpose(g, b, swapLastTwo(b.shape.length)) : b)],
  cases: [
    {
      name: "2x3 @ 3x2",
      inputs: [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([3, 2], [7, 8, 9, 10, 11, 12])],
      expected: [f32([2, 2], [58, 64, 139, 154])],
    },
    {
      name: "batched @ shared",
      inputs: [f32([2, 1, 2], [1, 2, 3, 4]), f32([2, 1], [10, 1])],
      expected: [f32([2, 1, 1], [12, 34])],
    },
  ],
  vjp: (g, { inputs: [a, b] }, [dy]) => {
    const t = (v: Value) => transpose(g, v, swapLastTwo(v.shape.length));
    // b = Transpose(z) (a linear layer's weight, attention's keys): use z in dA, and compute dz
    // directly, returned as Transpose(dz) which Transpose's rule turns back into dz — no copies.
    const z = transposedFrom(g, b, swapLastTwo(b.shape.length));
    const da = unbroadcast(g, matmul(g, dy!, z ?? t(b)), a.shape);
    // A shared 2-D right operand (a weight): one (K × rows)·(rows × N) product instead of a
    // batched product followed by a sum over the batch.
    if (b.shape.length === 2 && a.shape.length > 2 && a.shape.every((d) => typeof d === "number")) {
      const [k, n] = b.shape as number[];
      const rows = reshape(g, a, [-1, k]);
      const dyRows = reshape(g, dy!, [-1, n]);
      if (z) return [da, t(matmul(g, t(dyRows), rows))];
      return [da, matmul(g, t(rows), dyRows)];
    }
    if (z) return [da, t(unbroadcast(g, matmul(g, t(dy!), a), z.shape))];
    return [da, unbroadcast(g, matmul(g, t(a), dy!), b.shape)];
  },
  gradCases: [
    { name: "2-D", inputs: [rnd([2, 3], 1), rnd([3, 4], 2)] },
    { name: "batched @ shared", inputs: [rnd([2, 3, 2], 3), rnd([2, 2], 4)] },
    { name: "x @ wᵀ (linear)", inputs: [rnd([2, 3, 4], 5), rnd([5, 4], 6)], options: { transposeB: true } },
    { name: "2-D @ wᵀ", inputs: [rnd([3, 4], 7), rnd([5, 4], 8)], options: { transposeB: true } },
    {
      name: "q @ kᵀ (batched)",
      inputs: [rnd([2, 3, 4], 9), rnd([2, 5, 4], 10)],
      options: { transposeB: true },
    },
  ],
};
