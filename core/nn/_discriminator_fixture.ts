/**
 * Inputs of the discriminator parity fixture (tests/testdata/gan/): two small
 * discriminators, their seeded weights (GroupNorm affines perturbed away from
 * 1/0 so a swapped scale and shift would show), images and the cotangent the
 * reference backward pass used. The test and the reference script both build
 * them from here.
 * @module
 */
import { Graph } from "../graph/graph.ts";
import { Rng } from "../init.ts";
import type { Tensor } from "../tensor.ts";
import { discriminator, type DiscriminatorOptions, discriminatorWeights } from "./discriminator.ts";

/** One parity case. */
export interface DiscriminatorCase {
  name: string;
  options: DiscriminatorOptions;
  image: Tensor;
  cotangent: Tensor;
  weights: Map<string, Tensor>;
}

function uniform(shape: number[], seed: number, lo: number, hi: number): Tensor {
  const r = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: "float32", shape, data: Float32Array.from({ length: n }, () => lo + (hi - lo) * r.next()) };
}

function build(name: string, options: DiscriminatorOptions, batch: number, side: number, seed: number) {
  const g = new Graph(name);
  discriminator(g, g.input("image", "float32", [batch, 3, side, side]), options);
  const weights = discriminatorWeights(g.params.values(), seed);
  let k = 0;
  for (const [key, t] of weights) {
    if (t.shape.length === 1 && /blocks\.\d+\.2\./.test(key)) {
      const centre = key.endsWith("weight") ? 1 : 0;
      weights.set(key, uniform(t.shape, seed + 100 + k++, centre - 0.5, centre + 0.5));
    }
  }
  const image = uniform([batch, 3, side, side], seed + 1, 0, 1);
  const cotangent = uniform([batch, 1, options.poolSize, options.poolSize], seed + 2, -1, 1);
  return { name, options, image, cotangent, weights };
}

/**
 * `upsample`: 32 px, two stages → 8×8 features, repeated to 16×16;
 * `maxpool`: 64 px, one stage → 32×32 features, 2×2 max-pooled to 16×16.
 */
export function discriminatorCases(): DiscriminatorCase[] {
  return [
    build("upsample", { hiddenChannels: 32, numStages: 2, poolSize: 16 }, 2, 32, 11),
    build("maxpool", { hiddenChannels: 32, numStages: 1, poolSize: 16 }, 1, 64, 31),
  ];
}
