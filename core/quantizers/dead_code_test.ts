import { deepStrictEqual } from "node:assert";
import { f32, t } from "../ops/mod.ts";
import { deadCodeRestart } from "./dead_code.ts";
import { near, runGraph } from "./_testutil.ts";

Deno.test("dead codes: usage EMA, restart below threshold onto picked batch vectors, reset usage", async () => {
  // 4 codes; 3 batch vectors picked codes 0, 0, 2. Usage EMA before: [1, 0.05, 0.02, 0.5].
  const z = f32([3, 2], [10, 11, 20, 21, 30, 31]);
  const indices = t("int64", [3], [0, 0, 2]);
  const usage = f32([4], [1, 0.05, 0.02, 0.5]);
  const pick = t("int64", [4], [2, 1, 0, 1]);
  const r = await runGraph((g) => {
    const res = deadCodeRestart(
      g,
      4,
      g.input("z", "float32", [3, 2]),
      g.input("indices", "int64", [3]),
      g.input("usage", "float32", [4]),
      g.input("pick", "int64", [4]),
      { decay: 0.9, threshold: 0.1 },
    );
    return { next_usage: res.usage, rows: res.rows, mask: res.mask };
  }, { z, indices, usage, pick });
  // EMA: 0.9·usage + 0.1·counts, counts = [2, 0, 1, 0] → [1.1, 0.045, 0.118, 0.45].
  // Code 1 (0.045 < 0.1) is dead: it moves onto z[pick[1]] = z[1] and its usage resets to 0.1.
  deepStrictEqual([r.next_usage.shape, r.rows.shape, r.mask.shape], [[4], [4, 2], [4, 1]]);
  near(r.next_usage, f32([4], [1.1, 0.1, 0.118, 0.45]), 1e-6, "usage");
  near(r.rows, f32([4, 2], [0, 0, 20, 21, 0, 0, 0, 0]), 0, "rows");
  near(r.mask, f32([4, 1], [0, 1, 0, 0]), 0, "mask");
});
