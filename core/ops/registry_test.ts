/**
 * The registry's rules: unique keys, entries that share an ONNX type each
 * declare `matches`, and a node goes to exactly one entry — registries that
 * break a rule fail when built or when a node is dispatched.
 */
import { deepStrictEqual, strictEqual, throws } from "node:assert";
import { Graph, str, type Value } from "../graph/graph.ts";
import { def as Abs } from "./abs.ts";
import { def as AveragePool } from "./average_pool.ts";
import { def as AveragePoolPadded } from "./average_pool_padded.ts";
import { def as Resize } from "./resize.ts";
import { def as ResizeLinear } from "./resize_linear.ts";
import { OPS } from "./mod.ts";
import { f32 } from "./op.ts";
import { defineRegistry, entryFor, type OpRegistry } from "./registry.ts";
import { nodeContext, producer } from "./_grad/rule.ts";

/** The entry `registry` picks for the node that produced `y`. */
function pick(registry: OpRegistry, g: Graph, y: Value) {
  const node = producer(g, y)!;
  return entryFor(registry, node, nodeContext(g, node));
}

/** A Resize node in `mode` (cubic is a mode no entry takes). */
function resizeNode(mode: string): { g: Graph; y: Value } {
  const g = new Graph("resize");
  const x = g.input("x", "float32", [1, 1, 2, 2]);
  const scales = g.constant(f32([4], [1, 1, 2, 2]), "scales");
  const [y] = g.addNode("Resize", [x, undefined, scales], { mode: str(mode) }, [{
    dtype: "float32",
    shape: [1, 1, 4, 4],
  }]);
  return { g, y };
}

Deno.test("registry: OPS is keyed by each entry's key, and shared ONNX types all declare matches", () => {
  const byType = new Map<string, string[]>();
  for (const [key, def] of Object.entries(OPS)) {
    strictEqual(key, def.key);
    byType.set(def.type, [...(byType.get(def.type) ?? []), key]);
  }
  for (const [type, keys] of byType) {
    if (keys.length > 1) deepStrictEqual(keys.filter((k) => !OPS[k].matches), [], type);
  }
  deepStrictEqual(byType.get("AveragePool"), ["AveragePool", "AveragePoolPadded"]);
  deepStrictEqual(byType.get("Resize"), ["Resize", "ResizeLinear"]);
});

Deno.test("registry: a duplicate key fails when the registry is built", () => {
  throws(() => defineRegistry([Abs, { ...Abs }]), /two entries have the key Abs/);
  throws(
    () => defineRegistry([Resize, { ...ResizeLinear, key: "Resize" }]),
    /two entries have the key Resize/,
  );
});

Deno.test("registry: entries that share an ONNX type without matches fail when built", () => {
  throws(
    () => defineRegistry([AveragePoolPadded, { ...AveragePool, matches: undefined }]),
    /AveragePoolPadded, AveragePool share the ONNX type AveragePool, so each must declare matches\(node\); AveragePool does not/,
  );
  // Two entries of one type: the old registry's "first entry wins" no longer happens silently.
  throws(() => defineRegistry([{ ...Abs, key: "AbsA" }, { ...Abs, key: "AbsB" }]), /share the ONNX type Abs/);
});

Deno.test("registry: entries whose matches overlap on their own cases' nodes fail when built", () => {
  throws(
    () => defineRegistry([Resize, { ...ResizeLinear, matches: () => true }]),
    /Resize case "2x": node Resize(_\d+)? \(Resize\) matches several registry entries \(Resize, ResizeLinear\)/,
  );
  // An entry whose own cases another entry takes.
  throws(
    () => defineRegistry([{ ...Resize, matches: () => false }, { ...ResizeLinear, matches: () => true }]),
    /Resize case "2x"/,
  );
});

Deno.test("registry: a node that several entries or none match fails when dispatched", () => {
  // Overlap only where no case reaches (cubic): the registry builds, the cubic node fails.
  const loose = defineRegistry([
    { ...Resize, matches: (n) => n.attrs.mode?.type !== "string" || n.attrs.mode.value !== "linear" },
    { ...ResizeLinear, matches: (n) => n.attrs.mode?.type !== "string" || n.attrs.mode.value !== "nearest" },
  ]);
  const cubic = resizeNode("cubic");
  throws(() => pick(loose, cubic.g, cubic.y), /matches several registry entries \(Resize, ResizeLinear\)/);
  throws(() => pick(OPS, cubic.g, cubic.y), /matches none of the registry entries Resize, ResizeLinear/);
});

Deno.test("registry: dispatch follows matches, not the order of the entries", () => {
  const nearest = resizeNode("nearest");
  const linear = resizeNode("linear");
  for (const registry of [defineRegistry([Resize, ResizeLinear]), defineRegistry([ResizeLinear, Resize])]) {
    strictEqual(pick(registry, nearest.g, nearest.y)?.key, "Resize");
    strictEqual(pick(registry, linear.g, linear.y)?.key, "ResizeLinear");
  }
  strictEqual(pick(defineRegistry([Abs]), nearest.g, nearest.y), undefined, "a type with no entry");
  throws(() => pick({ Resize }, nearest.g, nearest.y), /build it with defineRegistry/);
});
