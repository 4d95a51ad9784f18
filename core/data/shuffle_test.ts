import assert from "node:assert/strict";
import { Rng } from "../init.ts";
import { mixSeed, permutation, shuffleBuffer } from "./shuffle.ts";

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

Deno.test("shuffle: seeds mix into distinct streams; permutations are permutations, reproducible", () => {
  const seeds = new Set<number>();
  for (let s = 0; s < 20; s++) for (let e = 0; e < 20; e++) seeds.add(mixSeed(s, e));
  assert.equal(seeds.size, 400);
  assert.notEqual(mixSeed(1, 2), mixSeed(2, 1));
  const p = permutation(1000, new Rng(5));
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(p, permutation(1000, new Rng(5)));
  assert.notDeepEqual(p, permutation(1000, new Rng(6)));
});

Deno.test("shuffle: the buffer emits every item once, mixes within reach of its size, passes through at size 1", async () => {
  const items = Array.from({ length: 500 }, (_, i) => i);
  const out = await collect(shuffleBuffer(items, 50, new Rng(1)));
  assert.deepEqual([...out].sort((a, b) => a - b), items);
  assert.notDeepEqual(out, items);
  assert.deepEqual(out, await collect(shuffleBuffer(items, 50, new Rng(1))));
  // An item can only come out after the items it was buffered behind have been read.
  out.forEach((v, i) => assert.ok(v <= i + 50, `${v} at ${i}`));
  assert.deepEqual(await collect(shuffleBuffer(items, 1, new Rng(1))), items);
});
