/**
 * Calibration: the in-graph ReduceMin/ReduceMax taps give exactly the min and max of each conv's
 * input and output over every feed, as the float32 graph computes them.
 */
import { deepStrictEqual, strictEqual } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { conv2d } from "../nn/conv.ts";
import { silu } from "../nn/activations.ts";
import { randomWeights, Rng } from "../init.ts";
import type { Tensor } from "../tensor.ts";
import { Session } from "./session.ts";
import { calibrate, convActivations, withRangeTaps } from "./calibrate.ts";

function net(): Graph {
  const g = new Graph("cal");
  const x = g.input("x", "float32", [1, 16, 10, 10]);
  const h = silu(g, x);
  const y = g.scope("conv", () => conv2d(g, h, 16, 16, 3, { padding: "same" }));
  g.output(silu(g, y), "out");
  g.output(y, "y");
  return g;
}

function feed(seed: number): Record<string, Tensor> {
  const rng = new Rng(seed);
  return {
    x: {
      dtype: "float32",
      shape: [1, 16, 10, 10],
      data: Float32Array.from({ length: 1600 }, () => 3 * rng.normal()),
    },
  };
}

Deno.test("calibrate: [min, max] of each conv's input and output over all feeds", async () => {
  const g = net();
  const weights = randomWeights([...g.params.values()], 4, "fanin");
  const names = convActivations(g, weights);
  const conv = g.nodes.find((n) => n.op === "Conv")!;
  deepStrictEqual(names, [conv.inputs[0], "y"]);
  deepStrictEqual(convActivations(g, new Map()), [], "a conv without a loaded weight needs no range");
  const fs = [feed(1), feed(2), feed(3)];
  const ranges = await calibrate(g, weights, fs, { threads: 1 });
  // The same values from a plain float32 session exposing the conv's input.
  const s = await Session.create(withRangeTaps(g, []), weights, { threads: 1 });
  let yMin = Infinity, yMax = -Infinity, hMin = Infinity, hMax = -Infinity;
  try {
    for (const f of fs) {
      const y = (await s.run(f)).y.data as Float32Array;
      for (const v of y) [yMin, yMax] = [Math.min(yMin, v), Math.max(yMax, v)];
      for (const v of f.x.data as Float32Array) {
        const h = Math.fround(v / (1 + Math.exp(-v)));
        [hMin, hMax] = [Math.min(hMin, h), Math.max(hMax, h)];
      }
    }
  } finally {
    await s.release();
  }
  deepStrictEqual(ranges.get("y"), { min: yMin, max: yMax });
  const h = ranges.get(conv.inputs[0])!;
  // SiLU's input side is recomputed in JS: equal within float32 rounding.
  strictEqual(
    Math.abs(h.min - hMin) < 1e-6 && Math.abs(h.max - hMax) < 1e-5,
    true,
    JSON.stringify([h, hMin, hMax]),
  );
  strictEqual((await calibrate(g, weights, [], { threads: 1 })).size, 0, "no feeds, no ranges");
});
