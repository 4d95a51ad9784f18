import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { BUDGETS } from "../budgets.ts";
import { checkValueGraph } from "./pickle_graph.ts";

const refuses = (x: unknown, re: RegExp) =>
  assert.throws(() => checkValueGraph(x, "f.pth"), (e) => e instanceof UsageError && re.test(e.message));

Deno.test("checkValueGraph: plain values pass and come back", () => {
  const v = new Map<unknown, unknown>([["a", [1, 2, new Set([3])]], ["b", null]]);
  assert.equal(checkValueGraph(v, "f.pth"), v);
  const shared = [1, 2];
  checkValueGraph([shared, shared, { not: "walked" }], "f.pth");
});

Deno.test("checkValueGraph: a self-referencing dict or list is refused", () => {
  const d = new Map<string, unknown>();
  d.set("x", [d]);
  refuses(d, /f\.pth: .*reference cycle/);
  const l: unknown[] = [];
  l.push(l);
  refuses(l, /reference cycle/);
});

Deno.test("checkValueGraph: nesting past pickleDepth is refused without a stack overflow", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  refuses(deep, /pickleDepth budget of 256/);
  let ok: unknown = 1;
  for (let i = 0; i < BUDGETS.pickleDepth; i++) ok = [ok];
  checkValueGraph(ok, "f.pth");
});

Deno.test("checkValueGraph: shared lists that hold 2^40 values are refused quickly", () => {
  let x: unknown = [0];
  for (let i = 0; i < 40; i++) x = [x, x];
  const t = performance.now();
  refuses(x, /pickleNodes budget/);
  assert.ok(performance.now() - t < 1000);
});
