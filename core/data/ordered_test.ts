import assert from "node:assert/strict";
import { mapOrdered } from "./ordered.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("ordered: results in input order whatever the finishing order; concurrency bounded", async () => {
  let running = 0, peak = 0;
  const out: number[] = [];
  const delays = [30, 1, 20, 2, 10, 0, 5];
  for await (
    const v of mapOrdered(delays, async (d, i) => {
      peak = Math.max(peak, ++running);
      await sleep(d);
      running--;
      return i * 10;
    }, 3)
  ) out.push(v);
  assert.deepEqual(out, [0, 10, 20, 30, 40, 50, 60]);
  assert.equal(peak, 3);
});

Deno.test("ordered: a failure surfaces at its turn, after the results before it", async () => {
  const out: number[] = [];
  await assert.rejects(async () => {
    for await (
      const v of mapOrdered(
        [1, 2, 3],
        (x) => (x === 2 ? Promise.reject(new Error("two")) : Promise.resolve(x)),
        4,
      )
    ) {
      out.push(v);
    }
  }, /two/);
  assert.deepEqual(out, [1]);
});
