import assert from "node:assert/strict";
import { table } from "./main.ts";

Deno.test("fuzz main: one table row per loader", () => {
  const row = {
    target: "npy",
    seed: 1,
    cases: 10,
    ok: 2,
    usage: 8,
    untyped: 0,
    hangs: 0,
    slow: 0,
    overMemory: 0,
    maxMs: 3.4,
    maxRssMiB: 99.6,
    failures: [],
  };
  assert.equal(table([row]).split("\n")[2], "| npy | 10 | 2 | 8 | 0 | 0 | 0 | 0 | 3 | 100 |");
});
