/**
 * Winograd F(4×4, 3×3) against ONNX Runtime's direct conv (pads 1): batched,
 * non-square, with and without bias, a symbolic batch, within the method's
 * float32 error (ONNX Runtime has no float64 Conv); in horizontal strips.
 * Inference only (core/runtime/winograd_pass.ts rewrites loaded weights; a
 * train step's fed ones stay direct), so there is no gradient to check.
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph, type Value } from "../graph/graph.ts";
import { conv, rnd } from "../ops/mod.ts";
import { Session } from "../runtime/mod.ts";
import type { Tensor } from "../tensor.ts";
import { absErrors } from "./_parity.ts";
import { winogradConv3x3, winogradFits, type WinogradLayout } from "./winograd.ts";

async function both(
  x: Tensor,
  w: Tensor,
  b: Tensor | undefined,
  batch: number | string = x.shape[0],
  layout: WinogradLayout = {},
) {
  const g = new Graph("winograd_test");
  const xi = g.input("x", x.dtype, [batch, ...x.shape.slice(1)]);
  const wi = g.input("w", w.dtype, w.shape);
  const bi = b ? g.input("b", b.dtype, b.shape) : undefined;
  g.output(winogradConv3x3(g, xi, wi, bi, layout), "fast");
  g.output(conv(g, xi, wi, bi, { pads: [1, 1, 1, 1] }), "direct");
  const s = await Session.create(g, new Map(), { threads: 1 });
  const out = await s.run({ x, w, ...(b ? { b } : {}) });
  await s.release();
  return out;
}

for (const [n, c, o, h, w, bias] of [[2, 3, 5, 8, 12, true], [1, 16, 8, 4, 4, false]] as const) {
  Deno.test(`winograd: matches the direct conv on ${n}×${c}×${h}×${w} → ${o} (bias ${bias})`, async () => {
    const x = rnd([n, c, h, w], 1), wt = rnd([o, c, 3, 3], 2), b = bias ? rnd([o], 3) : undefined;
    const out = await both(x, wt, b);
    deepStrictEqual(out.fast.shape, [n, o, h, w]);
    const e = relativeError(out.fast, out.direct);
    ok(e < 2e-6 * c, `max |Δ| / max |y| = ${e}`);
  });
}

for (const strips of [2, 3, 5, 9]) {
  Deno.test(`winograd in ${strips} strips (halo rows, edge padding): matches the direct conv`, async () => {
    // 20 rows = 5 tile rows: bands 2+3, 1+2+2, one row each, and 9 clamped to 5.
    const x = rnd([2, 4, 20, 8], 11), wt = rnd([3, 4, 3, 3], 12), b = rnd([3], 13);
    const out = await both(x, wt, b, "batch", { strips });
    deepStrictEqual(out.fast.shape, [2, 3, 20, 8]);
    ok(relativeError(out.fast, out.direct) < 1e-5, `strips ${strips}`);
  });
}

Deno.test("winograd: a symbolic batch runs at any batch size", async () => {
  const x = rnd([3, 4, 8, 8], 4), wt = rnd([4, 4, 3, 3], 5);
  const out = await both(x, wt, undefined, "batch");
  ok(relativeError(out.fast, out.direct) < 1e-5);
});

Deno.test("winograd: fits only NCHW inputs whose static H and W are multiples of 4", () => {
  const g = new Graph("fits");
  const v = (shape: (number | string)[]): Value => g.input(`x${shape.join("_")}`, "float32", shape);
  deepStrictEqual(
    [v([1, 2, 8, 12]), v(["b", 2, 4, 4]), v([1, 2, 6, 8]), v([1, 2, "h", 8]), v([2, 8, 8])].map(winogradFits),
    [true, true, false, false, false],
  );
});

/** max |a − b| over max |b|. */
function relativeError(a: Tensor, b: Tensor): number {
  return absErrors(a, b).max / Math.max(...Array.from(b.data as Float32Array, Math.abs));
}
