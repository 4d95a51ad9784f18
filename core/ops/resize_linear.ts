/**
 * ONNX `Resize` in linear mode to a fixed output size on H and W: bilinear
 * interpolation without antialiasing. `coordinates` picks where output pixels
 * sample the input:
 * - `pytorch_half_pixel`: torch `F.interpolate(mode="bilinear", align_corners=False)`
 *   (pytorch-fid's resize to 299);
 * - `asymmetric`: TensorFlow 1.x `resize_bilinear(align_corners=False)`
 *   (torch-fidelity's `interpolate_bilinear_2d_like_tensorflow1x`).
 * Registered as `ResizeLinear`; `resize.ts` is the nearest-neighbour upsampler.
 * @module
 */
import { type Graph, ints, str, type Value } from "../graph/graph.ts";
import { f32, i64const, type OpDef } from "./op.ts";

/** Where output pixel centres map to in the input. */
export type ResizeCoordinates = "pytorch_half_pixel" | "asymmetric";

/** Bilinear resize of an NCHW value to `height`×`width` (input H and W may be symbolic). */
export function resizeBilinear(
  g: Graph,
  x: Value,
  height: number,
  width: number,
  coordinates: ResizeCoordinates = "pytorch_half_pixel",
): Value {
  const [n, c] = x.shape;
  return g.addNode(
    "Resize",
    [x, undefined, undefined, i64const(g, [height, width], "sizes")],
    { mode: str("linear"), coordinate_transformation_mode: str(coordinates), axes: ints([2, 3]) },
    [{ dtype: x.dtype, shape: [n, c, height, width] }],
  )[0];
}

export const def: OpDef = {
  type: "Resize",
  emit: (g, [x], o) => [resizeBilinear(g, x, o.height, o.width, o.coordinates)],
  cases: [
    {
      // 1×2 → 1×4, half-pixel: x_in = (x_out + 0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to [0, 1].
      name: "half pixel 2→4",
      inputs: [f32([1, 1, 1, 2], [0, 4])],
      options: { height: 1, width: 4, coordinates: "pytorch_half_pixel" },
      expected: [f32([1, 1, 1, 4], [0, 1, 3, 4])],
    },
    {
      // TF1: x_in = x_out · 2/4 = 0, 0.5, 1, 1.5 (the last clamps to the edge pixel).
      name: "asymmetric 2→4",
      inputs: [f32([1, 1, 1, 2], [0, 4])],
      options: { height: 1, width: 4, coordinates: "asymmetric" },
      expected: [f32([1, 1, 1, 4], [0, 2, 4, 4])],
    },
    {
      // Downsampling 4→2 without antialias: half-pixel samples x_in = 0.5, 2.5 (rows keep their size).
      // (ONNX maps an output length of 1 to x_in = 0 in this mode, unlike torch: not used by tok1d.)
      name: "half pixel 4→2",
      inputs: [f32([1, 1, 2, 4], [0, 2, 4, 6, 8, 10, 12, 14])],
      options: { height: 2, width: 2, coordinates: "pytorch_half_pixel" },
      expected: [f32([1, 1, 2, 2], [1, 5, 9, 13])],
    },
  ],
  // The gradient rule (the transposed interpolation) is the autodiff developer's to add.
  vjp: null,
  gradCases: [],
};
