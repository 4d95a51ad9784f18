import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { fixtureInputs, maxAbsDiff, reference } from "../losses/_perceptual_fixture.ts";
import { Session } from "../runtime/mod.ts";
import type { Tensor } from "../tensor.ts";
import { bilinearAAWeights, resizeBilinearAA } from "./resize_aa.ts";

async function run(g: Graph, x: Tensor): Promise<Record<string, Tensor>> {
  const s = await Session.create(g, new Map(), { threads: 1 });
  const out = await s.run({ x });
  await s.release();
  return out;
}

Deno.test("resize_aa: rows are normalised triangle filters; 4→2 averages pairs with a widened support", () => {
  // Downscale ×2: support 2, centres 1 and 3; taps j ∈ [trunc(c − 1.5), trunc(c + 2.5)) weigh
  // 1 − |j + ½ − c|/2: row 0 sees j = 0, 1, 2 → (.75, .75, .25)/1.75.
  deepStrictEqual(
    [...bilinearAAWeights(4, 2)].map((v) => +(v * 7).toFixed(6)),
    [3, 3, 1, 0, 0, 1, 3, 3],
  );
  for (const [i, o] of [[256, 224], [64, 224], [300, 224], [224, 224]]) {
    const w = bilinearAAWeights(i, o);
    for (let r = 0; r < o; r++) {
      const sum = w.subarray(r * i, (r + 1) * i).reduce((a, b) => a + b, 0);
      ok(Math.abs(sum - 1) < 1e-6, `${i}→${o} row ${r} sums to ${sum}`);
    }
  }
  deepStrictEqual(bilinearAAWeights(3, 3), Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]));
});

Deno.test("resize_aa: matches torch's antialiased bilinear interpolate down and up (256×64 and 40×300 → 224)", async () => {
  const inputs = fixtureInputs();
  for (const name of ["resize_256x64", "resize_40x300"] as const) {
    const g = new Graph("aa");
    const x = g.input("x", "float32", inputs[name].shape);
    g.output(resizeBilinearAA(g, x, 224, 224), "y");
    const { y } = await run(g, inputs[name]);
    const d = maxAbsDiff(y, reference(name));
    ok(d < 5e-7, `${name}: max |Δ| ${d}`);
  }
});

/** Plain bilinear (align_corners=False, edges clamped) in float64. */
function plainBilinear(inSize: number, outSize: number): Float64Array {
  const plain = new Float64Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const src = Math.max((i + 0.5) * (inSize / outSize) - 0.5, 0);
    const j = Math.floor(src);
    const frac = src - j;
    plain[i * inSize + j] += 1 - frac;
    plain[i * inSize + Math.min(j + 1, inSize - 1)] += frac;
  }
  return plain;
}

const maxGap = (a: Float64Array, b: Float64Array) => Math.max(...a.map((v, k) => Math.abs(v - b[k])));

Deno.test("resize_aa: upsampling is plain bilinear (up to float32 coordinates); downsampling is not", () => {
  for (const [inSize, outSize] of [[40, 224], [64, 224], [7, 9]]) {
    const d = maxGap(bilinearAAWeights(inSize, outSize), plainBilinear(inSize, outSize));
    ok(d < 1e-5, `${inSize}→${outSize}: max |Δ| ${d}`);
  }
  const down = maxGap(bilinearAAWeights(256, 224), plainBilinear(256, 224));
  ok(down > 0.1, `256→224: antialiasing changes the weights by ${down}`);
});
