/**
 * MaxPool's gradient where finite differences say nothing: tied maxima.
 * torch's max_pool2d backward sends each window's gradient to the first
 * maximum in row-major window order; the expected values below follow that
 * rule by hand (and agree with torch 1.13).
 */
import { deepStrictEqual } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { Session } from "../runtime/session.ts";
import { maxPool, type PoolOptions } from "./max_pool.ts";
import { OPS } from "./mod.ts";
import { nodeGradients } from "./registry.ts";
import { t } from "./op.ts";

/** y = maxPool(x) and dL/dx for L = Σ dy·y, by MaxPool's rule (float64 unless told). */
async function forwardBackward(
  shape: number[],
  x: number[],
  o: PoolOptions,
  dy: number[],
  dtype: "float32" | "float64" = "float64",
) {
  const g = new Graph("max_pool_ties");
  const xv = g.input("x", dtype, shape);
  const y = maxPool(g, xv, o);
  g.output(y, "y");
  g.output(nodeGradients(g, OPS, y, g.constant(t(dtype, y.shape as number[], dy), "dy"))![0]!, "dx");
  const s = await Session.create(g, new Map(), { threads: 1 });
  const r = await s.run({ x: t(dtype, shape, x) });
  await s.release();
  return { y: Array.from(r.y.data as ArrayLike<number>), dx: Array.from(r.dx.data as ArrayLike<number>) };
}

Deno.test("max pool ties: VGG 2x2 stride 2 sends dy to the first maximum of each window", async () => {
  // Window 0 is all 1s → (0,0); window 1 holds 2, 0 / 2, 2 → (0,2).
  for (const dtype of ["float64", "float32"] as const) {
    const r = await forwardBackward([1, 1, 2, 4], [1, 1, 2, 0, 1, 1, 2, 2], { kernel: 2 }, [3, 5], dtype);
    deepStrictEqual(r.y, [1, 2], dtype);
    deepStrictEqual(r.dx, [3, 0, 5, 0, 0, 0, 0, 0], dtype);
  }
});

Deno.test("max pool ties: overlapping 3x3 windows that pick the same pixel add up", async () => {
  // Both windows see the tied 7s at (1,1) and (1,2); each picks (1,1), which collects 2 + 3.
  const x = [0, 0, 0, 0, 0, 7, 7, 0, 0, 0, 0, 0];
  const r = await forwardBackward([1, 1, 3, 4], x, { kernel: 3, stride: 1 }, [2, 3]);
  deepStrictEqual(r.y, [7, 7]);
  deepStrictEqual(r.dx, [0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0]);
});

Deno.test("max pool ties: padding never wins, even over negative values", async () => {
  // Every 3×3 window (pad 1) covers the four equal -1s; each picks (0,0): 1 + 2 + 3 + 4.
  const o: PoolOptions = { kernel: 3, stride: 1, pads: [1, 1, 1, 1] };
  const r = await forwardBackward([1, 1, 2, 2], [-1, -1, -1, -1], o, [1, 2, 3, 4]);
  deepStrictEqual(r.y, [-1, -1, -1, -1]);
  deepStrictEqual(r.dx, [10, 0, 0, 0]);
});

Deno.test("max pool: batch and channel offsets of the flat indices", async () => {
  // Two images × two channels, 2×2 each, one window each: the gradient lands in its own (n, c) plane.
  const x = [1, 4, 3, 2, 5, 5, 0, 9, 8, 1, 8, 1, 0, 0, 0, 0];
  const r = await forwardBackward([2, 2, 2, 2], x, { kernel: 2 }, [1, 2, 3, 4]);
  deepStrictEqual(r.y, [4, 9, 8, 0]);
  deepStrictEqual(r.dx, [0, 1, 0, 0, 0, 0, 0, 2, 3, 0, 0, 0, 4, 0, 0, 0]);
});
