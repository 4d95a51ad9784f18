/**
 * A 3×3 stride-1 "same" convolution by Winograd's minimal filtering
 * F(4×4, 3×3) (Lavin & Gray 2015), built from plain ONNX ops. Each 4×4 output
 * tile is A^T[(G g G^T) ⊙ (B^T d B)]A over the 6×6 input tile d: 36
 * multiplies per tile and channel pair instead of 144, so the channel GEMM —
 * nearly all of a wide conv's work — shrinks 4×. What it costs: the input and
 * output transforms, which are memory passes, and precision: about 1e-4 of
 * the output scale in float32 where the direct conv is near 1e-6.
 *
 * The graph, for x (N, C, H, W) with H and W multiples of 4, T = HW/16 tiles:
 * input transform as a grouped 6×6 stride-4 Conv (B^T ⊗ B^T per channel) →
 * (N, C, 36, T) → Transpose → (N, 36, C, T); the filter transform
 * U = G g G^T → (36, O, C) from the weight (in the graph, or computed on the
 * host by {@link winogradFilter} when the weight is loaded); 36 GEMMs M = U·V; the output transform
 * as one MatMul with A^T ⊗ A^T (16 × 36), whose (N, 16, O, T) result is
 * already DepthToSpace's channel order: one DepthToSpace interleaves the 4×4
 * tiles back into (N, O, H, W).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { fmt } from "../graph/shape.ts";
import { add, conv, depthToSpace, expand, matmul, reshape, transpose } from "../ops/mod.ts";
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
 * conv(x, weight, bias, pads 1, stride 1) for weight (O, C, 3, 3) and an optional bias (O), by
 * Winograd F(4×4, 3×3). x is (N, C, H, W) with static H, W divisible by 4 ({@link winogradFits}).
 */
export function winogradConv3x3(g: Graph, x: Value, weight: Value, bias?: Value): Value {
  return winogradFromFilter(g, x, weight, bias);
}

/**
 * The filter transform U = G g Gᵀ on the host: (O, C, 3, 3) → (36, O, C), ξ = 6a + b, in float64
 * then rounded. A session whose conv weight is loaded gives ORT U itself ({@link winogradConv3x3U}):
 * ORT then neither holds the 3×3 weight nor constant-folds the transform through its intermediates
 * (2×, 4× and a transposed 4× copy of the weight, alive together while the session opens).
 */
export function winogradFilter(weight: Float32Array, o: number, c: number): Float32Array {
  if (weight.length !== o * c * 9) {
    throw new Error(`winogradFilter: ${weight.length} values for (${o}, ${c}, 3, 3)`);
  }
  const u = new Float32Array(36 * o * c);
  const t = new Float64Array(18); // G·g: 6 × 3
  for (let oc = 0; oc < o * c; oc++) {
    const w = weight.subarray(oc * 9, oc * 9 + 9);
    for (let a = 0; a < 6; a++) {
      for (let j = 0; j < 3; j++) t[a * 3 + j] = G[a][0] * w[j] + G[a][1] * w[3 + j] + G[a][2] * w[6 + j];
    }
    for (let a = 0; a < 6; a++) {
      for (let b = 0; b < 6; b++) {
        u[(a * 6 + b) * o * c + oc] = t[a * 3] * G[b][0] + t[a * 3 + 1] * G[b][1] + t[a * 3 + 2] * G[b][2];
      }
    }
  }
  return u;
}

/** {@link winogradConv3x3} with the filter already transformed: `u` is (36, O, C) ({@link winogradFilter}). */
export function winogradConv3x3U(g: Graph, x: Value, u: Value, bias?: Value): Value {
  const [k, o, c] = u.shape as number[];
  if (k !== 36) throw new Error(`winogradConv3x3U: U is ${fmt(u.shape)}, expected (36, O, C)`);
  return winogradFromFilter(g, x, { name: u.name, dtype: u.dtype, shape: [o, c, 3, 3] }, bias, u);
}

function winogradFromFilter(g: Graph, x: Value, weight: Value, bias?: Value, given?: Value): Value {
  const [n, c, h, w] = x.shape;
  const [o, ci, kh, kw] = weight.shape as number[];
  if (!winogradFits(x) || ci !== c || kh !== 3 || kw !== 3) {
    throw new Error(`winogradConv3x3: ${fmt(weight.shape)} on ${fmt(x.shape)}`);
  }
  const th = (h as number) / 4, tw = (w as number) / 4, tiles = th * tw;
  const k = (shape: number[], data: number[]) => g.constant(typed(weight, shape, data), "winograd");
  // Input transform: one 6×6 stride-4 filter per (channel, ξ), ξ = 6a + b: (N, C·36, th, tw).
  const perChannel = reshape(g, k([36, 1, 6, 6], kron(BT, BT)), [1, 36, 1, 6, 6]);
  const bt = reshape(g, expand(g, perChannel, [c, 36, 1, 6, 6]), [(c as number) * 36, 1, 6, 6]);
  const tilesIn = conv(g, x, bt, undefined, { strides: [4, 4], pads: [1, 1, 1, 1], group: c as number });
  const v = transpose(g, reshape(g, tilesIn, [n, c, 36, tiles]), [0, 2, 1, 3]);
  // Filter transform G g Gᵀ: (O, C, 6, 6) → (36, O, C).
  const gT = G[0].map((_, j) => G.map((row) => row[j]));
  const u = given ?? transpose(
    g,
    reshape(g, matmul(g, matmul(g, k([6, 3], G.flat()), weight), k([3, 6], gT.flat())), [o, c, 36]),
    [2, 0, 1],
  );
  const m = matmul(g, u, v); // (N, 36, O, T)
  // Output transform over ξ → (N, 16·O, th, tw) with channel (4p + q)·O + o: DepthToSpace's DCR order,
  // so one DepthToSpace puts output (p, q) of tile (i, j) at pixel (4i + p, 4j + q).
  const y16 = matmul(g, k([16, 36], kron(AT, AT)), reshape(g, m, [n, 36, o * tiles]));
  const y = depthToSpace(g, reshape(g, y16, [n, 16 * o, th, tw]), 4);
  return bias ? add(g, y, reshape(g, bias, [o, 1, 1])) : y;
}

/** A constant in the weight's float type (float64 in gradient checks). */
function typed(like: Value, shape: number[], data: number[]): Tensor {
  return like.dtype === "float64"
    ? { dtype: "float64", shape, data: Float64Array.from(data) }
    : { dtype: "float32", shape, data: Float32Array.from(data) };
}
