/**
 * Test helpers shared by the quantizer tests: build a small graph, run it on
 * ONNX Runtime, compare tensors.
 *
 * @example
 * ```ts
 * const out = await runGraph((g) => ({ y: vqQuantize(g, g.input("z", "float32", [2, 4]), o).indices }), { z });
 * ```
 * @module
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph, type Value } from "../graph/graph.ts";
import { Session } from "../runtime/mod.ts";
import type { Tensor } from "../tensor.ts";

/** Builds a graph with `build` (its returned values become outputs), runs it on `feeds`. */
export async function runGraph(
  build: (g: Graph) => Record<string, Value>,
  feeds: Record<string, Tensor>,
  weights: Map<string, Tensor> = new Map(),
): Promise<Record<string, Tensor>> {
  const g = new Graph("quantizer_test");
  for (const [name, v] of Object.entries(build(g))) g.output(v, name);
  const s = await Session.create(g, weights, { threads: 1 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

/** Asserts equal shapes and max |a − b| ≤ tol (relative to max(1, |b|)). */
export function near(a: Tensor, b: Tensor, tol: number, what: string): void {
  deepStrictEqual(a.shape, b.shape, `${what}: shape`);
  for (let i = 0; i < b.data.length; i++) {
    const x = Number(a.data[i]);
    const y = Number(b.data[i]);
    ok(Math.abs(x - y) <= tol * Math.max(1, Math.abs(y)), `${what}[${i}]: got ${x}, want ${y}`);
  }
}

/** A scalar float tensor's value. */
export const scalarOf = (t: Tensor): number => Number(t.data[0]);
