import { deepStrictEqual, throws } from "node:assert";
import { l1PerItem } from "./l1.ts";

Deno.test("l1PerItem: the mean absolute difference of each item, by hand", () => {
  const a = { dtype: "float32" as const, shape: [2, 1, 1, 2], data: Float32Array.of(0, 1, 0.5, 0.5) };
  const b = { dtype: "float32" as const, shape: [2, 1, 1, 2], data: Float32Array.of(0.5, 0.5, 0.5, 0.25) };
  deepStrictEqual(l1PerItem(a, b), [0.5, 0.125]);
  throws(() => l1PerItem(a, { ...b, shape: [1, 1, 2, 2] }), /L1: expected two float image batches/);
});
