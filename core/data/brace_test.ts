import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { expandBraces, hasBraces } from "./brace.ts";

Deno.test("brace: zero-padded ranges, lists, several groups, reverse and stepped ranges", () => {
  assert.deepEqual(expandBraces("s-{000000..000002}.tar"), ["s-000000.tar", "s-000001.tar", "s-000002.tar"]);
  assert.equal(expandBraces("imagenet-train-{0000..0252}.tar").length, 253);
  assert.equal(expandBraces("imagenet-train-{0000..0252}.tar")[252], "imagenet-train-0252.tar");
  assert.deepEqual(expandBraces("{a,b}-{8..10}"), ["a-8", "a-9", "a-10", "b-8", "b-9", "b-10"]);
  assert.deepEqual(expandBraces("{3..1}"), ["3", "2", "1"]);
  assert.deepEqual(expandBraces("{0..10..5}"), ["0", "5", "10"]);
  assert.deepEqual(expandBraces("plain.tar"), ["plain.tar"]);
  assert.deepEqual(expandBraces("{x}.tar"), ["{x}.tar"]);
  assert.deepEqual([hasBraces("a-{0..2}.tar"), hasBraces("a{b}.tar"), hasBraces("a.tar")], [
    true,
    false,
    false,
  ]);
});

Deno.test("brace: unbalanced, nested and huge patterns are UsageErrors naming the pattern", () => {
  assert.throws(
    () => expandBraces("a-{0..2.tar"),
    (e) => e instanceof UsageError && /a-\{0\.\.2\.tar: unbalanced/.test(e.message),
  );
  assert.throws(() => expandBraces("{a,{b,c}}"), /nested/);
  assert.throws(() => expandBraces("{0..99999999}"), /expands to 100000000 names/);
});
