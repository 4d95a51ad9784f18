/**
 * Host folding of computed weights: MatMul (broadcast batch dims) and Transpose over parameters and
 * constants give numpy's values; anything downstream of an input or another op is not foldable.
 */
import { deepStrictEqual, strictEqual } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { matmul, sigmoid, transpose } from "../ops/mod.ts";
import type { Tensor } from "../tensor.ts";
import { weightFolder } from "./fold_weights.ts";

const t = (shape: number[], data: number[]): Tensor<"float32"> => ({
  dtype: "float32",
  shape,
  data: Float32Array.from(data),
});

Deno.test("weightFolder: MatMul with broadcast batch dims and Transpose, as numpy computes them", () => {
  const g = new Graph("fold");
  const x = g.input("x", "float32", [2, 2]);
  const w = g.param("w", [2, 1, 2, 3]); // (2, 1, 2, 3)
  const c = g.constant(t([3, 2], [1, 0, 0, 1, 1, 1]), "c"); // (3, 2)
  const r = g.constant(t([2, 2], [1, 2, 3, 4]), "r");
  const k = matmul(g, r, matmul(g, w, c)); // (2, 2) @ (2, 1, 2, 2) → (2, 1, 2, 2)
  const kt = transpose(g, k, [1, 0, 3, 2]);
  const fed = matmul(g, x, r);
  const other = sigmoid(g, w);
  const weights = new Map([["w", t([2, 1, 2, 3], [1, 2, 3, 4, 5, 6, 0, 1, 0, -1, 0, 2])]]);
  const fold = weightFolder(g, weights);
  // w[0] @ c = [[1+3, 2+3], [4+6, 5+6]] = [[4, 5], [10, 11]]; r @ that = [[24, 27], [52, 59]].
  // w[1] @ c = [[0, 1], [1, 2]]; r @ that = [[2, 5], [4, 11]] (checked with numpy).
  deepStrictEqual(fold(k.name), t([2, 1, 2, 2], [24, 27, 52, 59, 2, 5, 4, 11]));
  deepStrictEqual(fold(kt.name), t([1, 2, 2, 2], [24, 52, 27, 59, 2, 4, 5, 11]));
  strictEqual(fold(fed.name), undefined, "reads a graph input");
  strictEqual(fold(other.name), undefined, "Sigmoid is not folded");
  strictEqual(weightFolder(g, new Map())(k.name), undefined, "no weight loaded");
});
