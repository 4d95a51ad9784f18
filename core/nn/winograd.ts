/**
 * A 3×3 stride-1 "same" convolution by Winograd's minimal filtering
 * F(4×4, 3×3) (Lavin & Gray 2015), built from plain ONNX ops. Each 4×4 output
 * tile is A^T[(G g G^T) ⊙ (B^T d B)]A over the 6×6 input tile d: 36
 * multiplies per tile and channel pair instead of 144, so the channel GEMM —
 * nearly all of a wide conv's work — shrinks 4×. What it costs: the input and
 * output transforms, which are memory passes, and precision: about 1e-4 of
 * the output scale in float32 where the direct conv is near 1e-6.
 *
 * Inference only: the tile conv is 3-D, which the gradient rules do not cover (the session pass
 * rewrites loaded weights; a train step's convs stay direct).
 *
 * The graph, for x (N, C, H, W) with H and W multiples of 4, T = HW/16 tiles:
 * input transform as one 3-D Conv (1×6×6, stride 1×4×4, B^T ⊗ B^T as its 36 output channels) of
 * (N, 1, C, H, W) → (N, 36, C, T), the GEMM's layout; the filter transform
 * U = G g G^T → (36, O, C), one Gemm over the weight as stored, made as the graph runs (a loaded
 * weight is kept from constant folding by core/runtime/winograd_pass.ts: ORT would hold U, 4× the
 * weight, for the session's life); 36 GEMMs M = U·V; the output transform
 * as one MatMul with A^T ⊗ A^T (16 × 36), whose (N, 16, O, T) result is
 * already DepthToSpace's channel order: one DepthToSpace interleaves the 4×4
 * tiles back into (N, O, H, W).
 * @module
 */
import { type Graph, ints, type Value } from "../graph/graph.ts";
import { fmt } from "../graph/shape.ts";
import { add, concat, depthToSpace, gemm, matmul, reshape, slice } from "../ops/mod.ts";
import type { Tensor } from "../tensor.ts";

const BT = [
  [4, 0, -5, 0, 1, 0],
  [0, -4, -4, 1, 1, 0],
  [0, 4, -4, -1, 1, 0],
  [0, -2, -1, 2, 1, 0],
  [0, 2, -1, -2, 1, 0],
  [0, 4, 0, -5, 0, 1],
];
const G = [
  [1 / 4, 0, 0],
  [-1 / 6, -1 / 6, -1 / 6],
  [-1 / 6, 1 / 6, -1 / 6],
  [1 / 24, 1 / 12, 1 / 6],
  [1 / 24, -1 / 12, 1 / 6],
  [0, 0, 1],
];
const AT = [
  [1, 1, 1, 1, 1, 0],
  [0, 1, -1, 2, -2, 0],
  [0, 1, 1, 4, 4, 0],
  [0, 1, -1, 8, -8, 1],
];

/** Row-major Kronecker product rows: out[(i·r + j)][(k·c + l)] = a[i][k]·b[j][l]. */
function kron(a: number[][], b: number[][]): number[] {
  const out: number[] = [];
  for (const ai of a) for (const bj of b) for (const aik of ai) for (const bjl of bj) out.push(aik * bjl);
  return out;
}

/** Whether {@link winogradConv3x3} applies: NCHW input with static H and W that 4 divides. */
export function winogradFits(x: Value): boolean {
  const [, , h, w] = x.shape;
  return x.shape.length === 4 && typeof h === "number" && typeof w === "number" && h % 4 === 0 &&
    w % 4 === 0;
}

/**
 * Where one call's tiles go: `strips` horizontal bands of tile rows, each transformed, multiplied and
 * transformed back on its own (the input read with a one-pixel halo), then put together before the
 * DepthToSpace. The tile tensors (2.25× the input and the output each) then exist for one band at a
 * time — at a batch-4 256² VQGAN level they set the decoder's peak memory — for one more copy of
 * the output. 1 (the default) transforms the whole image at once.
 */
export interface WinogradLayout {
  strips?: number;
}

/**
 * conv(x, weight, bias, pads 1, stride 1) for weight (O, C, 3, 3) and an optional bias (O), by
 * Winograd F(4×4, 3×3). x is (N, C, H, W) with static H, W divisible by 4 ({@link winogradFits}).
 */
export function winogradConv3x3(
  g: Graph,
  x: Value,
  weight: Value,
  bias?: Value,
  layout: WinogradLayout = {},
): Value {
  const [n, c, h, w] = x.shape;
  const [o, ci, kh, kw] = weight.shape as number[];
  if (!winogradFits(x) || ci !== c || kh !== 3 || kw !== 3) {
    throw new Error(`winogradConv3x3: ${fmt(weight.shape)} on ${fmt(x.shape)}`);
  }
  const th = (h as number) / 4, tw = (w as number) / 4;
  const k = (shape: number[], data: number[]) => g.constant(typed(weight, shape, data), "winograd");
  // Input transform: one 6×6 stride-4 filter per ξ = 6a + b on every channel alike, as a 3-D conv
  // over (N, 1, C, H, W) whose 36 output channels are ξ: the tiles come out (N, 36, C, th, tw), the
  // GEMM's layout, with no transpose, and the filter is 36 × 6 × 6 whatever C is.
  const bt = k([36, 1, 1, 6, 6], kron(BT, BT));
  // Filter transform U = (G ⊗ G)·g: one Gemm reading the weight as stored, (O·C, 9) transposed,
  // straight into (36, O·C): no copy of the weight in another layout.
  const u = reshape(
    g,
    gemm(g, k([36, 9], kron(G, G)), reshape(g, weight, [o * c, 9]), undefined, { transB: true }),
    [
      36,
      o,
      c,
    ],
  );
  const at = k([16, 36], kron(AT, AT));
  const strips = Math.max(1, Math.min(th, Math.floor(layout.strips ?? 1)));
  const parts: Value[] = [];
  for (let s = 0; s < strips; s++) {
    // Tile rows [r0, r1) read input rows [4·r0 − 1, 4·r1 + 1): the zero padding only at the image's edges.
    const r0 = Math.floor((s * th) / strips), r1 = Math.floor(((s + 1) * th) / strips), rows = r1 - r0;
    const band = strips === 1
      ? x
      : slice(g, x, 2, Math.max(0, 4 * r0 - 1), Math.min(h as number, 4 * r1 + 1));
    const pads: [number, number, number, number] = [r0 === 0 ? 1 : 0, 1, r1 === th ? 1 : 0, 1];
    const planes = reshape(g, band, [n, 1, ...band.shape.slice(1) as number[]]);
    const v = reshape(g, conv3dTiles(g, planes, bt, pads), [n, 36, c, rows * tw]); // (N, 36, C, T)
    const m = matmul(g, u, v); // (N, 36, O, T)
    // Output transform over ξ → (N, 16·O, rows, tw) with channel (4p + q)·O + o: DepthToSpace's DCR
    // order, so one DepthToSpace puts output (p, q) of tile (i, j) at pixel (4i + p, 4j + q).
    const y16 = matmul(g, at, reshape(g, m, [n, 36, o * rows * tw]));
    parts.push(reshape(g, y16, [n, 16 * o, rows, tw]));
  }
  const y = depthToSpace(g, parts.length > 1 ? concat(g, parts, 2) : parts[0], 4);
  return bias ? add(g, y, reshape(g, bias, [o, 1, 1])) : y;
}

/** The 1×6×6 stride-(1, 4, 4) Conv of (N, 1, C, H, W) by `bt` (36, 1, 1, 6, 6): (N, 36, C, th, tw). */
function conv3dTiles(g: Graph, planes: Value, bt: Value, [top, left, bottom, right]: number[]): Value {
  const [n, , c, h, w] = planes.shape;
  const th = ((h as number) + top + bottom - 6) / 4 + 1, tw = ((w as number) + left + right - 6) / 4 + 1;
  return g.addNode("Conv", [planes, bt], {
    kernel_shape: ints([1, 6, 6]),
    strides: ints([1, 4, 4]),
    pads: ints([0, top, left, 0, bottom, right]),
  }, [{ dtype: planes.dtype, shape: [n, 36, c, th, tw] }])[0];
}

/** A constant in the weight's float type (float64 in gradient checks). */
function typed(like: Value, shape: number[], data: number[]): Tensor {
  return like.dtype === "float64"
    ? { dtype: "float64", shape, data: Float64Array.from(data) }
    : { dtype: "float32", shape, data: Float32Array.from(data) };
}
