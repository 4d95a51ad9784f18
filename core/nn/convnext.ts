/**
 * torchvision's ConvNeXt classifier (https://arxiv.org/abs/2201.03545) in eval
 * mode: a 4×4 stride-4 stem + LayerNorm2d; four stages of CNBlocks (depthwise
 * 7×7 → channels-last LayerNorm → Linear 4× → GELU → Linear → layer scale, plus
 * the residual; stochastic depth is the identity in eval) separated by
 * LayerNorm2d + 2×2 stride-2 convolutions; global average pool → LayerNorm2d
 * → Linear to 1000 logits. Every LayerNorm has eps 1e-6.
 *
 * Parameters are torchvision's keys (`features.1.0.block.3.weight`,
 * `features.1.0.layer_scale`, `classifier.2.bias`) in the current scope, so
 * `convnext_small-0c510722.pth` loads by lookup after a prefix.
 *
 * @example
 * ```ts
 * const logits = g.scope("convnext", () => convnext(g, x, CONVNEXT_SMALL)); // (B, 1000)
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, mul, reduceMean, reshape, transpose } from "../ops/mod.ts";
import { gelu } from "./activations.ts";
import { conv2d } from "./conv.ts";
import { linear } from "./linear.ts";
import { layerNorm } from "./norm.ts";
import { conv } from "../ops/conv.ts";

/** Blocks per stage and stage widths. */
export interface ConvNextSize {
  depths: number[];
  widths: number[];
  classes: number;
}

/** torchvision `convnext_small`: 50.2 M parameters. */
export const CONVNEXT_SMALL: ConvNextSize = {
  depths: [3, 3, 27, 3],
  widths: [96, 192, 384, 768],
  classes: 1000,
};

const EPS = 1e-6;
const toNhwc = (g: Graph, x: Value) => transpose(g, x, [0, 2, 3, 1]);
const toNchw = (g: Graph, x: Value) => transpose(g, x, [0, 3, 1, 2]);

/** torchvision's LayerNorm2d: LayerNorm over the channels of an NCHW map, in the current scope. */
export function layerNorm2d(g: Graph, x: Value, channels: number): Value {
  return toNchw(g, layerNorm(g, toNhwc(g, x), channels, EPS));
}

/** One CNBlock of width c (in the current scope), x NCHW. */
export function cnBlock(g: Graph, x: Value, c: number): Value {
  const gamma = g.param("layer_scale", [c, 1, 1]);
  const h = g.scope("block", () => {
    const dw = g.scope(0, () => {
      const w = g.param("weight", [c, 1, 7, 7]);
      return conv(g, x, w, g.param("bias", [c]), { pads: [3, 3, 3, 3], group: c });
    });
    let y = g.scope(2, () => layerNorm(g, toNhwc(g, dw), c, EPS));
    y = gelu(g, g.scope(3, () => linear(g, y, c, 4 * c)));
    y = g.scope(5, () => linear(g, y, 4 * c, c));
    // The layer scale is applied channels-last, before the one transpose back.
    return toNchw(g, mul(g, y, reshape(g, gamma, [c])));
  });
  return add(g, h, x);
}

/** x (B, 3, H, W), H and W divisible by 32, already ImageNet-normalised → logits (B, classes). */
export function convnext(g: Graph, x: Value, size: ConvNextSize): Value {
  const { depths, widths } = size;
  let h = x;
  g.scope("features", () => {
    g.scope(0, () => {
      h = g.scope(0, () => conv2d(g, h, 3, widths[0], 4, { stride: 4 }));
      h = g.scope(1, () => layerNorm2d(g, h, widths[0]));
    });
    depths.forEach((depth, s) => {
      if (s > 0) {
        g.scope(2 * s, () => {
          h = g.scope(0, () => layerNorm2d(g, h, widths[s - 1]));
          h = g.scope(1, () => conv2d(g, h, widths[s - 1], widths[s], 2, { stride: 2 }));
        });
      }
      g.scope(2 * s + 1, () => {
        for (let i = 0; i < depth; i++) h = g.scope(i, () => cnBlock(g, h, widths[s]));
      });
    });
  });
  const c = widths[widths.length - 1];
  const pooled = reduceMean(g, h, [2, 3], false); // (B, C)
  return g.scope("classifier", () => {
    const normed = g.scope(0, () => layerNorm(g, pooled, c, EPS));
    return g.scope(2, () => linear(g, normed, c, size.classes));
  });
}
