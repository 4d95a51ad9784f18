/**
 * LPIPS (https://arxiv.org/abs/1801.03924) with VGG16 as TiTok's training
 * code computes it (1d-tokenizer `modeling/modules/lpips.py`, after taming):
 * images in [0, 1] are mapped to [-1, 1] (unless `rescale: false`: taming's
 * LPIPS called on [0, 1] images as they are, as ALIT's stage 2 does), shifted and scaled per channel
 * (`ScalingLayer`), run through VGG16 up to relu5_3; at each of the five taps
 * the features are unit-normalised over channels (x / (‖x‖ + 1e-10)), their
 * squared difference is weighted per channel by a 1×1 convolution to one map
 * (`lin<k>`, no bias; its dropout is inactive in eval), averaged over the
 * pixels, and the five averages are summed: one distance per sample.
 *
 * Parameters in the current scope: `net.features.<N>.weight|bias`
 * (torchvision's VGG16 keys) and `lin<k>.model.1.weight` (the taming/LPIPS
 * `vgg.pth` keys).
 *
 * @example
 * ```ts
 * const d = g.scope("lpips", () => lpipsDistance(g, real, fake)); // (B, 1, 1, 1)
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, conv, div, f32, mul, reduceMean, reduceSum, sqrt, sub } from "../ops/mod.ts";
import { VGG16_STAGES, vgg16Features } from "../nn/vgg16.ts";

/** `ScalingLayer` shift and scale (applied to images in [-1, 1]). */
export const LPIPS_SHIFT: readonly number[] = [-0.030, -0.088, -0.188];
export const LPIPS_SCALE: readonly number[] = [0.458, 0.448, 0.450];
/** `normalize_tensor`'s epsilon, added to the norm (not under the root). */
export const LPIPS_NORM_EPS = 1e-10;

const perChannel = (g: Graph, v: readonly number[], hint: string) =>
  g.constant(f32([1, 3, 1, 1], [...v]), hint);

/** Options of {@link lpipsDistance}. */
export interface LpipsOptions {
  /**
   * Map [0, 1] images to [-1, 1] before the ScalingLayer (default true: TiTok's LPIPS); false feeds
   * them as they are (taming's LPIPS expects [-1, 1] but ALIT's stage 2 hands it [0, 1] images).
   */
  rescale?: boolean;
}

/** The five VGG16 taps of an image (parameters `net.features.*`). */
function taps(g: Graph, x: Value, o: LpipsOptions): Value[] {
  const signed = o.rescale === false
    ? x
    : sub(g, mul(g, x, g.constant(f32([], [2]), "two")), g.constant(f32([], [1]), "one"));
  const scaled = div(
    g,
    sub(g, signed, perChannel(g, LPIPS_SHIFT, "shift")),
    perChannel(g, LPIPS_SCALE, "scale"),
  );
  const t = g.scope("net", () => vgg16Features(g, scaled));
  return [t.relu1_2, t.relu2_2, t.relu3_3, t.relu4_3, t.relu5_3];
}

/** x / (‖x‖₂ over channels + eps). */
function unitNormalise(g: Graph, x: Value): Value {
  const norm = sqrt(g, reduceSum(g, mul(g, x, x), [1], true));
  return div(g, x, add(g, norm, g.constant(f32([], [LPIPS_NORM_EPS]), "eps")));
}

/**
 * Per-sample LPIPS distance (B, 1, 1, 1) between two batches of images in
 * [0, 1] (B, 3, H, W), H and W divisible by 16 (see {@link LpipsOptions} for the range). The argument order is
 * upstream's (input, target); the distance is symmetric.
 */
export function lpipsDistance(g: Graph, input: Value, target: Value, o: LpipsOptions = {}): Value {
  const a = taps(g, input, o);
  const b = taps(g, target, o);
  let total: Value | undefined;
  VGG16_STAGES.forEach(({ width }, k) => {
    const d = sub(g, unitNormalise(g, a[k]), unitNormalise(g, b[k]));
    // `lin<k>.model` is Sequential(Dropout, Conv2d): the convolution is entry 1.
    const weighted = g.scope(
      `lin${k}.model.1`,
      () => conv(g, mul(g, d, d), g.param("weight", [1, width, 1, 1]), undefined),
    );
    const avg = reduceMean(g, weighted, [2, 3], true);
    total = total ? add(g, total, avg) : avg;
  });
  return total!;
}
