/**
 * ONNX `Resize` in linear mode to a fixed output size on H and W: bilinear
 * interpolation without antialiasing. `coordinates` picks where output pixels
 * sample the input:
 * - `pytorch_half_pixel`: torch `F.interpolate(mode="bilinear", align_corners=False)`
 *   (pytorch-fid's resize to 299);
 * - `asymmetric`: TensorFlow 1.x `resize_bilinear(align_corners=False)`
 *   (torch-fidelity's `interpolate_bilinear_2d_like_tensorflow1x`).
 * Registered as `ResizeLinear`; `resize.ts` is the nearest-neighbour upsampler.
 *
 * Bilinear resizing is separable and linear: out = A_h · X · A_wᵀ per plane,
 * with constant interpolation matrices, so the gradient is exactly
 * dX = A_hᵀ · dY · A_w (two MatMuls). This entry takes the `Resize` nodes in
 * linear mode; `resize.ts` takes nearest ones.
 * @module
 */
import { type Graph, ints, str, type Value } from "../graph/graph.ts";
import { f32, i64const, type OpDef, rnd, t } from "./op.ts";
import { matmul } from "./matmul.ts";
import type { VjpContext } from "./_grad/rule.ts";
import { resizeMode } from "./resize.ts";

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

/**
 * The (out × in) matrix of linear interpolation along one axis, as ONNX
 * Runtime samples it: source x = f(x_out) by the coordinate mode, clamped to
 * [0, in − 1], split between floor(x) and the next pixel.
 */
export function interpolationMatrix(input: number, output: number, mode: string): number[][] {
  const scale = output / input;
  const source = (o: number): number => {
    switch (mode) {
      case "pytorch_half_pixel":
        return output > 1 ? (o + 0.5) / scale - 0.5 : 0;
      case "asymmetric":
        return o / scale;
      default:
        throw new Error(`Resize gradient: coordinate_transformation_mode ${mode} unsupported`);
    }
  };
  return Array.from({ length: output }, (_, o) => {
    const row = new Array<number>(input).fill(0);
    const x = Math.min(Math.max(source(o), 0), input - 1);
    const lo = Math.floor(x);
    const hi = Math.min(lo + 1, input - 1);
    row[lo] += 1 - (x - lo);
    row[hi] += x - lo;
    return row;
  });
}

/** dL/dx of a bilinear ONNX Resize over H and W (no antialias): A_hᵀ · dy · A_w. */
export function resizeLinearGrad(g: Graph, ctx: VjpContext, dy: Value): Value {
  const [x] = ctx.inputs;
  const attr = (name: string, fallback: string) => {
    const a = ctx.attrs[name];
    return a && a.type === "string" ? a.value : fallback;
  };
  const axes = ctx.attrs.axes?.type === "ints" ? ctx.attrs.axes.value.join() : "";
  const antialias = ctx.attrs.antialias?.type === "int" && ctx.attrs.antialias.value !== 0;
  if (axes !== "2,3" || antialias || x.shape.length !== 4) {
    throw new Error("Resize gradient: linear mode is supported on NCHW axes [2, 3] without antialias");
  }
  const [h, w, oh, ow] = [x.shape[2], x.shape[3], dy.shape[2], dy.shape[3]];
  if (![h, w, oh, ow].every((d) => typeof d === "number")) {
    throw new Error(`Resize gradient: needs static H and W, got ${x.name} [${x.shape}]`);
  }
  const mode = attr("coordinate_transformation_mode", "half_pixel");
  const dtype = dy.dtype === "float64" ? "float64" : "float32";
  const ah = interpolationMatrix(h as number, oh as number, mode);
  const aw = interpolationMatrix(w as number, ow as number, mode);
  const matrix = (m: number[][], hint: string) =>
    g.constant(t(dtype, [m.length, m[0].length], m.flat()), hint);
  const ahT = ah[0].map((_, i) => ah.map((row) => row[i])); // (h × oh)
  const rows = matmul(g, dy, matrix(aw, "resize_cols")); // (N, C, oh, w)
  return matmul(g, matrix(ahT, "resize_rows_t"), rows); // (N, C, h, w)
}

export const def: OpDef = {
  key: "ResizeLinear",
  type: "Resize",
  matches: (node) => resizeMode(node) === "linear",
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
  vjp: (g, ctx, [dy]) => [resizeLinearGrad(g, ctx, dy!)],
  gradCases: [
    { name: "half pixel 3x4 → 7x5", inputs: [rnd([2, 2, 3, 4], 1)], options: { height: 7, width: 5 } },
    {
      name: "half pixel 6x5 → 3x2 (downsampling)",
      inputs: [rnd([1, 2, 6, 5], 2)],
      options: { height: 3, width: 2, coordinates: "pytorch_half_pixel" },
    },
    {
      name: "asymmetric 3x4 → 6x7",
      inputs: [rnd([1, 3, 3, 4], 3)],
      options: { height: 6, width: 7, coordinates: "asymmetric" },
    },
    {
      name: "asymmetric 5x5 → 2x3 (downsampling)",
      inputs: [rnd([2, 1, 5, 5], 4)],
      options: { height: 2, width: 3, coordinates: "asymmetric" },
    },
  ],
};
