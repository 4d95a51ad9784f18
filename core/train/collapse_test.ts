import { deepStrictEqual, match, ok } from "node:assert";
import type { Tensor } from "../tensor.ts";
import { CollapseMonitor, warmupWarning } from "./collapse.ts";

const ids = (rows: number[][]): Tensor => ({
  dtype: "int64",
  shape: [rows.length, 1, rows[0].length],
  data: BigInt64Array.from(rows.flat(), BigInt),
});

Deno.test("warm-up warning: only when the warm-up is not shorter than the run", () => {
  deepStrictEqual(warmupWarning(100, 1000), undefined);
  match(warmupWarning(100, 100)!, /--warmup 100 is not shorter than the run \(--steps 100\)/);
  match(warmupWarning(500, 50)!, /never reaches --lr/);
});

Deno.test("collapse: identical token rows across the batch warn, once per window", () => {
  const m = new CollapseMonitor(undefined, 10, 0);
  deepStrictEqual(m.observe(1, ids([[1, 2], [1, 3]])), []);
  const w = m.observe(2, ids([[4, 5], [4, 5], [4, 5]]));
  deepStrictEqual(w.length, 1);
  match(w[0], /step 2: every image of the batch \(3\) maps to the same tokens/);
  // Still collapsed within the window: quiet; after it, again.
  deepStrictEqual(m.observe(5, ids([[4, 5], [4, 5]])), []);
  deepStrictEqual(m.observe(12, ids([[4, 5], [4, 5]])).length, 1);
  // A batch of one image cannot be judged.
  deepStrictEqual(new CollapseMonitor(undefined, 10, 0).observe(1, ids([[7, 7]])), []);
  // The first `grace` steps (a fresh initialisation) are not judged.
  const g = new CollapseMonitor(undefined, 10, 3);
  deepStrictEqual(g.observe(3, ids([[1], [1]])), []);
  deepStrictEqual(g.observe(4, ids([[1], [1]])).length, 1);
});

Deno.test("collapse: usage below 5 % of the reachable ids over a window warns", () => {
  // 4 items × 8 tokens × 10 steps = 320 ids; vocabulary 1000 → reachable 320; 2 distinct = 0.6 %.
  const m = new CollapseMonitor(1000, 10, 0);
  const warnings: string[] = [];
  for (let s = 1; s <= 10; s++) {
    warnings.push(
      ...m.observe(
        s,
        ids([[0, 0, 0, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0, 0], [
          0,
          0,
          1,
          0,
          0,
          0,
          0,
          0,
        ]]),
      ),
    );
  }
  deepStrictEqual(warnings.length, 1);
  match(warnings[0], /steps 1–10: codebook usage 0\.6 % \(2 distinct ids of 320 possible\) is below 5 %/);
  // A healthy window: 32 distinct of 32 reachable per step → no warning; −1 (not sent) is skipped.
  const h = new CollapseMonitor(64, 2, 0);
  const row = (o: number) => Array.from({ length: 8 }, (_, i) => o + i);
  ok(h.observe(1, ids([row(0), row(8), row(16), [...row(24).slice(0, 7), -1]])).length === 0);
  deepStrictEqual(h.observe(2, ids([row(32), row(40), row(48), row(56)])), []);
});
