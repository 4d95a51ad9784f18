import assert from "node:assert/strict";
import { fuzzTarget } from "./driver.ts";

Deno.test("fuzz driver: a hang is killed and the run goes on; untyped errors and memory are caught", async () => {
  const s = await fuzzTarget("_selftest", { cases: 5, seed: 1, limits: { caseMs: 3000, rssMiB: 300 } });
  assert.equal(s.cases, 5);
  assert.deepEqual(s.failures.map((f) => [f.case, f.kind]), [[0, "hang"], [1, "untyped"], [4, "memory"]]);
  assert.match(s.failures[1].detail, /TypeError: not a UsageError/);
  assert.deepEqual([s.ok, s.usage, s.hangs, s.untyped, s.overMemory], [2, 1, 1, 1, 1]);
  assert.ok(s.maxRssMiB > 300);
});
