/**
 * customGradient: the walker differentiates a registered composite by its
 * rule (here a deliberately different one, to tell them apart) and never
 * visits the composite's inner nodes; unregistered chains keep op-by-op rules.
 */
import { deepStrictEqual } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { f32, mul, reduceSum } from "../ops/mod.ts";
import { Session } from "../runtime/mod.ts";
import { customGradient } from "./custom.ts";
import { gradients } from "./grad.ts";

async function grad(custom: boolean): Promise<{ dx: number[]; nodes: string[] }> {
  const g = new Graph("custom");
  const x = g.input("x", "float32", [3]);
  // y = x³ as x·x·x; the registered rule claims dy/dx = 10 (not 3x²).
  const y = mul(g, mul(g, x, x), x);
  if (custom) customGradient(g, y, [x], (g, dy) => [mul(g, dy, g.constant(f32([], [10]), "ten"))]);
  const before = g.nodes.length;
  const dx = gradients(g, reduceSum(g, y, [0], false), ["x"]).get("x")!;
  g.output(dx, "dx");
  const s = await Session.create(g, new Map());
  const r = await s.run({ x: f32([3], [1, 2, 3]) });
  await s.release();
  return { dx: [...r.dx.data as Float32Array], nodes: g.nodes.slice(before).map((n) => n.name) };
}

Deno.test("customGradient: the composite's rule replaces its inner nodes' rules", async () => {
  const plain = await grad(false);
  deepStrictEqual(plain.dx, [3, 12, 27]);
  const custom = await grad(true);
  deepStrictEqual(custom.dx, [10, 10, 10]);
  // Only the seed, the ReduceSum's rule and the composite rule: nothing for the inner x·x.
  const inner = (nodes: string[]) => nodes.filter((n) => n.startsWith("grad.Mul_0/")).length;
  deepStrictEqual(inner(plain.nodes) > 0, true);
  deepStrictEqual(inner(custom.nodes), 0);
});
