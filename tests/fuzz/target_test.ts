import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { rng } from "./mutate.ts";
import { mutatePickle, rezip } from "./target.ts";
import { readZip } from "../../core/weights/zip.ts";

Deno.test("fuzz target helpers: deterministic pickle and zip-member mutations", () => {
  const pkl = Uint8Array.from([0x80, 0x02, 0x4b, 0x05, 0x85, 0x2e]); // (5,)
  const a = Array.from({ length: 50 }, (_, i) => mutatePickle(pkl, rng(3, i), [Uint8Array.from([0x32])]));
  const b = Array.from({ length: 50 }, (_, i) => mutatePickle(pkl, rng(3, i), [Uint8Array.from([0x32])]));
  assert.deepEqual(a, b);
  assert.ok(a.some((x) => x.includes(0x8a)), "an integer opcode became a LONG1");
  const z = zipSync({ "a/data.pkl": pkl, "a/other": new Uint8Array(3) });
  const m = rezip(z, rng(3, 1), /data\.pkl$/, [])!;
  assert.deepEqual([...readZip(m).keys()].sort(), ["a/data.pkl", "a/other"]);
  assert.equal(rezip(new Uint8Array(10), rng(3, 1), /x/, []), undefined);
});
