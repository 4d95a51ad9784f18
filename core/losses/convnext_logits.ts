/**
 * The ConvNeXt-S term of TiTok's perceptual loss (1d-tokenizer
 * `modeling/modules/perceptual_loss.py`): both images, in [0, 1], are resized
 * to 224×224 (bilinear, antialiased, as torch's `F.interpolate(...,
 * antialias=True)`), normalised with the ImageNet mean and std, classified by
 * torchvision's `convnext_small` in eval mode, and the loss is the mean
 * squared difference of the two 1000-class logit vectors (mean over batch
 * and classes).
 *
 * Parameters in the current scope: `convnext.features.*`,
 * `convnext.classifier.*` (torchvision's keys under `convnext.`).
 *
 * @example
 * ```ts
 * const mse = convnextLogitsLoss(g, real, fake); // scalar
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { convnext, CONVNEXT_SMALL } from "../nn/convnext.ts";
import { resizeBilinearAA } from "../nn/resize_aa.ts";
import { div, f32, mul, reduceMean, sub } from "../ops/mod.ts";

/** ImageNet channel statistics torchvision's classifiers were trained with. */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];
/** The side both images are resized to. */
export const CONVNEXT_SIDE = 224;

/** ConvNeXt-S logits (B, 1000) of images in [0, 1] of any size (parameters `convnext.*`). */
export function convnextLogits(g: Graph, x: Value): Value {
  const resized = resizeBilinearAA(g, x, CONVNEXT_SIDE, CONVNEXT_SIDE);
  const mean = g.constant(f32([1, 3, 1, 1], [...IMAGENET_MEAN]), "imagenet_mean");
  const std = g.constant(f32([1, 3, 1, 1], [...IMAGENET_STD]), "imagenet_std");
  const normed = div(g, sub(g, resized, mean), std);
  return g.scope("convnext", () => convnext(g, normed, CONVNEXT_SMALL));
}

/** mean((logits(input) − logits(target))²), a scalar; upstream's argument order (input, target). */
export function convnextLogitsLoss(g: Graph, input: Value, target: Value): Value {
  const d = sub(g, convnextLogits(g, input), convnextLogits(g, target));
  return reduceMean(g, mul(g, d, d), [0, 1], false);
}
