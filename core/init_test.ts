/** randomWeights: norm scales are ones, but only 1-D ones (a Linear named `ln` gets a matrix init). */
import { deepStrictEqual, ok } from "node:assert";
import { randomWeights } from "./init.ts";

const values = (w: Map<string, { data: ArrayLike<number | bigint> }>, k: string) =>
  Array.from(w.get(k)!.data, Number);

Deno.test("randomWeights: 1-D norm weights are ones and biases zeros; a 2-D `ln.weight` (BDD-1D's Linear) is random", () => {
  const w = randomWeights(
    [
      { name: "encoder.norm.weight", shape: [4], dtype: "float32" as const },
      { name: "encoder.norm.bias", shape: [4], dtype: "float32" as const },
      { name: "ln.weight", shape: [3, 8], dtype: "float32" as const },
      { name: "ln.bias", shape: [3], dtype: "float32" as const },
    ],
    0,
    "fanin",
  );
  deepStrictEqual(values(w, "encoder.norm.weight"), [1, 1, 1, 1]);
  deepStrictEqual(values(w, "encoder.norm.bias"), [0, 0, 0, 0]);
  deepStrictEqual(values(w, "ln.bias"), [0, 0, 0]);
  const m = values(w, "ln.weight");
  ok(new Set(m).size === 24, "every entry of the projection differs");
  // fan-in 8: std 1/√8 ≈ 0.354, truncated at 2σ.
  ok(m.every((v) => Math.abs(v) <= 2 / Math.sqrt(8) + 1e-6), m.join(","));
});
