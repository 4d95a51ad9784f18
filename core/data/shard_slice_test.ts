import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { parseShardFlag, sliceLabel, sliceRange } from "./shard_slice.ts";

Deno.test("shard_slice: parts are contiguous, differ by at most one, and cover every item once", () => {
  for (const total of [0, 1, 7, 10, 321]) {
    for (const count of [1, 2, 3, 8, 400]) {
      let next = 0;
      for (let index = 0; index < count; index++) {
        const [a, b] = sliceRange(total, { index, count });
        assert.equal(a, next);
        assert.ok(b - a === Math.floor(total / count) || b - a === Math.ceil(total / count));
        next = b;
      }
      assert.equal(next, total);
    }
  }
  assert.deepEqual(sliceRange(10, { index: 1, count: 4 }), [2, 5]);
  assert.equal(sliceLabel({ index: 3, count: 8 }), "3-of-8");
});

Deno.test("shard_slice: K/N parsing with 0-based K; errors name the flag", () => {
  assert.deepEqual(parseShardFlag("0/1"), { index: 0, count: 1 });
  assert.deepEqual(parseShardFlag(" 7 / 8 "), { index: 7, count: 8 });
  for (const bad of ["8/8", "1/0", "-1/2", "a/b", "3", "1/2/3"]) {
    assert.throws(
      () => parseShardFlag(bad, "--shard"),
      (e) => e instanceof UsageError && e.message.startsWith(`--shard ${bad}`),
    );
  }
});
