/**
 * torchvision's VGG16 `features` (configuration "D": 13 3×3 convolutions with
 * ReLU, a 2×2 max-pool after each of the first four stages), up to the last
 * ReLU: the five activations LPIPS compares. Parameters are torchvision's
 * keys `features.<N>.weight|bias` in the current scope, so
 * `vgg16-397923af.pth` loads by lookup after a prefix.
 *
 * @example
 * ```ts
 * const taps = g.scope("net", () => vgg16Features(g, x)); // params net.features.0.weight, …
 * taps.relu3_3; // (B, 256, H/4, W/4)
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { maxPool, relu } from "../ops/mod.ts";
import { conv2d } from "./conv.ts";

/** The activations after the last ReLU of each stage (torchvision `features` indices 3, 8, 15, 22, 29). */
export interface Vgg16Taps {
  relu1_2: Value;
  relu2_2: Value;
  relu3_3: Value;
  relu4_3: Value;
  relu5_3: Value;
}

/** Output widths of the five stages, and their convolution counts. */
export const VGG16_STAGES: readonly { width: number; convs: number }[] = [
  { width: 64, convs: 2 },
  { width: 128, convs: 2 },
  { width: 256, convs: 3 },
  { width: 512, convs: 3 },
  { width: 512, convs: 3 },
];

/**
 * Runs x (B, 3, H, W) through the 13 convolutions (H, W divisible by 16) and
 * returns the five stage outputs. The final max-pool (index 30) is never
 * needed and not emitted.
 */
export function vgg16Features(g: Graph, x: Value): Vgg16Taps {
  const taps: Value[] = [];
  let h = x;
  let index = 0; // torchvision's position in `features` (conv, relu, …, pool)
  let inC = 3;
  g.scope("features", () => {
    VGG16_STAGES.forEach(({ width, convs }, stage) => {
      if (stage > 0) {
        h = maxPool(g, h, { kernel: 2, stride: 2 });
        index++;
      }
      for (let i = 0; i < convs; i++) {
        h = relu(g, g.scope(index, () => conv2d(g, h, inC, width, 3, { padding: 1 })));
        index += 2;
        inC = width;
      }
      taps.push(h);
    });
  });
  const [relu1_2, relu2_2, relu3_3, relu4_3, relu5_3] = taps;
  return { relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 };
}
