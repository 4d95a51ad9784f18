/**
 * Nearest ×2 upsampling followed by a 3×3 conv (padding 1) — the up step of
 * every VQGAN/VAE decoder here — computed as one stride-2 4×4 ConvTranspose
 * on the small input, with the same `weight` (out, in, 3, 3) and `bias`
 * parameters as the conv it replaces.
 *
 * Why: on the upsampled grid every output pixel sees only 2×2 distinct input
 * pixels (the 3×3 window covers two copies of one of them), so the conv does
 * 9 multiply-adds where 4 suffice. Output row 2i reads input rows i−1 and i
 * with weights w₀ and w₁ + w₂; row 2i+1 reads rows i and i+1 with w₀ + w₁ and
 * w₂. A stride-2 transposed conv whose kernel rows are
 * [w₂, w₁ + w₂, w₀ + w₁, w₀] (pads 1) produces exactly those sums, and the
 * same for columns: 16/36 of the multiply-adds, and no 4× larger upsampled
 * tensor. The folded kernel is computed in the graph from `weight` (two small
 * MatMuls and a Transpose), which ONNX Runtime constant-folds at session
 * creation; in a train step the gradient flows through it back to `weight`.
 *
 * On ONNX Runtime's CPU provider a ConvTranspose is a GEMM into a column
 * buffer 4× the output and a col2im scatter, outside MLAS's blocked conv
 * path; an inference session therefore runs the same sums as a
 * {@link Fusion}: four 2×2 convs on the input, one per output phase (row and
 * column parity, each with its own asymmetric padding and folded kernel),
 * concatenated and interleaved by DepthToSpace.
 * @module
 */
import type { Fusion, Graph, Value } from "../graph/graph.ts";
import { fmt } from "../graph/shape.ts";
import { concat, conv, convTranspose, depthToSpace, f32, matmul, transpose } from "../ops/mod.ts";

/** Kernel row k of the folded 4-tap filter as a sum of the 3 original taps: FOLD[k][t]. */
const FOLD = [[0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]];

/** conv3×3(pad 1)(upsample_nearest(x, 2)) with torch naming: x (N, inC, h, w) → (N, outC, 2h, 2w). */
export function upsampleConv3x3(
  g: Graph,
  x: Value,
  inC: number,
  outC: number,
  o: { bias?: boolean } = {},
): Value {
  const weight = g.param("weight", [outC, inC, 3, 3]);
  const bias = o.bias === false ? undefined : g.param("bias", [outC]);
  return upsampleConvWith(g, x, weight, bias);
}

/** {@link upsampleConv3x3} with the weight (out, in, 3, 3) and bias (out) given as values. */
export function upsampleConvWith(g: Graph, x: Value, weight: Value, bias?: Value): Value {
  const [, c, h, w] = x.shape;
  if (x.shape.length !== 4 || c !== weight.shape[1] || typeof h !== "number" || typeof w !== "number") {
    throw new Error(
      `upsampleConv3x3 of ${fmt(weight.shape)} on ${fmt(x.shape)}: needs NCHW with static H, W`,
    );
  }
  const rows = FOLD.flat();
  const cols = [0, 1, 2].flatMap((t) => FOLD.map((row) => row[t]));
  const fold = g.constant({ ...f32([4, 3], rows), ...typed(weight, rows) }, "upsample_fold");
  const foldT = g.constant({ ...f32([3, 4], cols), ...typed(weight, cols) }, "upsample_foldT");
  // (out, in, 3, 3) → columns folded (…, 3, 4) → rows folded (…, 4, 4) → ConvTranspose's (in, out, 4, 4).
  const kernel = transpose(g, matmul(g, fold, matmul(g, weight, foldT)), [1, 0, 2, 3]);
  const y = convTranspose(
    g,
    x,
    kernel,
    { strides: [2, 2], pads: [1, 1, 1, 1], outputSize: [2 * h, 2 * w] },
    bias,
  );
  const fusion: Fusion = {
    kind: "upsample-conv",
    inputs: bias ? [x, weight, bias] : [x, weight],
    outputs: [y],
    build: (g, [x, weight, bias]) => [phaseConvs(g, x, weight, bias)],
  };
  g.fusions.push(fusion);
  return y;
}

/**
 * Phase p of an output axis (row 2i+p) as 2 taps over input rows (i−1, i) for p = 0 and (i, i+1) for
 * p = 1: PHASE[p][k][t] says whether original tap t adds to 2-tap row k.
 */
const PHASE = [[[1, 0, 0], [0, 1, 1]], [[1, 1, 0], [0, 0, 1]]];

/** The upsampling conv as 4 phase convs (2×2 kernels) + Concat + DepthToSpace (inference form). */
function phaseConvs(g: Graph, x: Value, weight: Value, bias?: Value): Value {
  const phases: Value[] = [];
  for (const a of [0, 1]) {
    for (const b of [0, 1]) {
      const rows = g.constant(
        { ...f32([2, 3], PHASE[a].flat()), ...typed(weight, PHASE[a].flat()) },
        "phase_rows",
      );
      const colsT = [0, 1, 2].flatMap((t) => PHASE[b].map((row) => row[t]));
      const cols = g.constant({ ...f32([3, 2], colsT), ...typed(weight, colsT) }, "phase_cols");
      const kernel = matmul(g, rows, matmul(g, weight, cols)); // (out, in, 2, 2)
      // Rows (i−1, i) need one row of padding above, rows (i, i+1) one below; the same for columns.
      phases.push(conv(g, x, kernel, bias, { pads: [1 - a, 1 - b, a, b] }));
    }
  }
  return depthToSpace(g, concat(g, phases, 1), 2);
}

/** The fold constants in the weight's float type (float64 in gradient checks). */
function typed(weight: Value, values: number[]) {
  return weight.dtype === "float64"
    ? { dtype: "float64" as const, data: Float64Array.from(values) }
    : { dtype: "float32" as const, data: Float32Array.from(values) };
}
