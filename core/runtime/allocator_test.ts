/**
 * The allocator settings apply on this Linux/glibc host (CI's too) and only once.
 */
import { strictEqual } from "node:assert";
import { keepFreedMemory } from "./allocator.ts";

Deno.test("keepFreedMemory: glibc accepts the thresholds; a second call does not redo it", () => {
  const glibc = Deno.build.os === "linux" && Deno.build.env !== "musl";
  strictEqual(keepFreedMemory(), glibc);
  strictEqual(keepFreedMemory(), glibc);
});
