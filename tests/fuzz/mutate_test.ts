import assert from "node:assert/strict";
import { mutate, rng, tokens } from "./mutate.ts";

Deno.test("fuzz mutate: a case is a pure function of (seed, index, input), and varied", () => {
  const seed = Uint8Array.from({ length: 300 }, (_, i) => i);
  const toks = tokens("size=", [0x8b, 0xff, 0xff, 0xff, 0x7f]);
  const a = Array.from({ length: 200 }, (_, i) => mutate(seed, rng(42, i), toks));
  const b = Array.from({ length: 200 }, (_, i) => mutate(seed, rng(42, i), toks));
  assert.deepEqual(a, b);
  assert.equal(seed[5], 5); // the seed is never modified
  const lengths = new Set(a.map((x) => x.length));
  assert.ok(lengths.size > 20, "mutations change lengths");
  assert.ok(a.filter((x) => x.length === 300 && x.some((v, i) => v !== seed[i])).length > 20);
  assert.notDeepEqual(mutate(seed, rng(43, 0), toks), a[0]);
});
