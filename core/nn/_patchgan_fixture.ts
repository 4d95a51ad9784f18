/**
 * Inputs of the PatchGAN parity fixture (tests/testdata/patchgan/): a small
 * taming PatchGAN (ndf 8, 3 layers) with seeded weights, BatchNorm affines
 * and running statistics moved away from their initial values (so a swapped
 * scale and shift, or a wrong momentum, would show), and a real and a fake
 * batch. The test and the reference script both build them from here.
 * @module
 */
import { Graph } from "../graph/graph.ts";
import { Rng } from "../init.ts";
import type { Tensor } from "../tensor.ts";
import { Buffers } from "./batch_norm.ts";
import { patchGan, patchGanBuffers, type PatchGanOptions, patchGanWeights } from "./patchgan.ts";

export const PATCHGAN_CASE: PatchGanOptions = { ndf: 8, layers: 3, inChannels: 3 };
export const PATCHGAN_PREFIX = "discriminator.";

function uniform(shape: number[], seed: number, lo: number, hi: number): Tensor {
  const r = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: "float32", shape, data: Float32Array.from({ length: n }, () => lo + (hi - lo) * r.next()) };
}

/** Weights and buffers (by key), a real and a fake batch of 2×3×32×32. */
export function patchGanCase(): { weights: Map<string, Tensor>; real: Tensor; fake: Tensor } {
  const g = new Graph("patchgan_case");
  g.scope(
    "discriminator",
    () => patchGan(g, g.input("x", "float32", [2, 3, 32, 32]), new Buffers(g), PATCHGAN_CASE),
  );
  const weights = patchGanWeights(g.params.values(), 5);
  let k = 0;
  for (const [key, t] of weights) {
    if (t.shape.length === 1 && /main\.(3|6|9)\./.test(key)) {
      const centre = key.endsWith("weight") ? 1 : 0;
      weights.set(key, uniform(t.shape, 200 + k++, centre - 0.5, centre + 0.5));
    }
  }
  for (const [key, t] of patchGanBuffers(PATCHGAN_PREFIX, PATCHGAN_CASE)) {
    weights.set(
      key,
      uniform(t.shape, 300 + k++, key.endsWith("var") ? 0.5 : -0.5, key.endsWith("var") ? 1.5 : 0.5),
    );
  }
  return { weights, real: uniform([2, 3, 32, 32], 7, 0, 1), fake: uniform([2, 3, 32, 32], 8, -0.2, 1.2) };
}
