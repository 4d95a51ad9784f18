/**
 * The op registry: one file per ONNX op, each exporting its emitter and an
 * {@link OpDef}. `OPS` lists them all, sorted by key; the registry-wide suite
 * tests every entry. How a node finds its entry: registry.ts.
 *
 * @module
 */
import { defineRegistry, type OpRegistry } from "./registry.ts";
import { def as Abs } from "./abs.ts";
import { def as Where } from "./where.ts";
import { def as SpaceToDepth } from "./space_to_depth.ts";
import { def as Sign } from "./sign.ts";
import { def as Pad } from "./pad.ts";
import { def as OneHot } from "./one_hot.ts";
import { def as Identity } from "./identity.ts";
import { def as Greater } from "./greater.ts";
import { def as Equal } from "./equal.ts";
import { def as ConvTranspose } from "./conv_transpose.ts";
import { def as Add } from "./add.ts";
import { def as ArgMin } from "./argmin.ts";
import { def as AveragePool } from "./average_pool.ts";
import { def as AveragePoolPadded } from "./average_pool_padded.ts";
import { def as MaxPool } from "./max_pool.ts";
import { def as ResizeLinear } from "./resize_linear.ts";
import { def as Cast } from "./cast.ts";
import { def as Clip } from "./clip.ts";
import { def as Concat } from "./concat.ts";
import { def as Conv } from "./conv.ts";
import { def as DepthToSpace } from "./depth_to_space.ts";
import { def as Div } from "./div.ts";
import { def as Erf } from "./erf.ts";
import { def as Exp } from "./exp.ts";
import { def as Expand } from "./expand.ts";
import { def as Gather } from "./gather.ts";
import { def as Gemm } from "./gemm.ts";
import { def as LayerNormalization } from "./layer_norm.ts";
import { def as LeakyRelu } from "./leaky_relu.ts";
import { def as Log } from "./log.ts";
import { def as MatMul } from "./matmul.ts";
import { def as Mul } from "./mul.ts";
import { def as Neg } from "./neg.ts";
import { def as Pow } from "./pow.ts";
import { def as ReduceMean } from "./reduce_mean.ts";
import { def as ReduceSum } from "./reduce_sum.ts";
import { def as ReduceSumSquare } from "./reduce_sum_square.ts";
import { def as Relu } from "./relu.ts";
import { def as Reshape } from "./reshape.ts";
import { def as Resize } from "./resize.ts";
import { def as Round } from "./round.ts";
import { def as ScatterElements } from "./scatter_elements.ts";
import { def as Shape } from "./shape.ts";
import { def as Sigmoid } from "./sigmoid.ts";
import { def as Slice } from "./slice.ts";
import { def as Softmax } from "./softmax.ts";
import { def as Split } from "./split.ts";
import { def as Sqrt } from "./sqrt.ts";
import { def as Squeeze } from "./squeeze.ts";
import { def as Sub } from "./sub.ts";
import { def as Tanh } from "./tanh.ts";
import { def as Transpose } from "./transpose.ts";
import { def as Unsqueeze } from "./unsqueeze.ts";

/**
 * Every op tok1d emits, by registry key (the ONNX type, or a name that starts
 * with it where one type has several entries: `AveragePoolPadded`, `ResizeLinear`).
 */
export const OPS: OpRegistry = defineRegistry([
  Abs,
  Add,
  ArgMin,
  AveragePool,
  AveragePoolPadded,
  Cast,
  Clip,
  Concat,
  Conv,
  ConvTranspose,
  DepthToSpace,
  Div,
  Equal,
  Erf,
  Exp,
  Expand,
  Gather,
  Gemm,
  Greater,
  Identity,
  LayerNormalization,
  LeakyRelu,
  Log,
  MatMul,
  MaxPool,
  Mul,
  Neg,
  OneHot,
  Pad,
  Pow,
  ReduceMean,
  ReduceSum,
  ReduceSumSquare,
  Relu,
  Reshape,
  Resize,
  ResizeLinear,
  Round,
  ScatterElements,
  Shape,
  Sigmoid,
  Sign,
  Slice,
  Softmax,
  SpaceToDepth,
  Split,
  Sqrt,
  Squeeze,
  Sub,
  Tanh,
  Transpose,
  Unsqueeze,
  Where,
]);

export { abs } from "./abs.ts";
export { where } from "./where.ts";
export { spaceToDepth } from "./space_to_depth.ts";
export { sign } from "./sign.ts";
export { pad } from "./pad.ts";
export { oneHot } from "./one_hot.ts";
export { identity, stopGradient } from "./identity.ts";
export { greater } from "./greater.ts";
export { equal } from "./equal.ts";
export { convTranspose } from "./conv_transpose.ts";
export { add } from "./add.ts";
export { argmin } from "./argmin.ts";
export { avgPool } from "./average_pool.ts";
export { avgPoolPadded } from "./average_pool_padded.ts";
export { maxPool, type PoolOptions } from "./max_pool.ts";
export { resizeBilinear, type ResizeCoordinates } from "./resize_linear.ts";
export { cast } from "./cast.ts";
export { clip } from "./clip.ts";
export { concat } from "./concat.ts";
export { conv, type ConvOptions } from "./conv.ts";
export { depthToSpace } from "./depth_to_space.ts";
export { div } from "./div.ts";
export { erf } from "./erf.ts";
export { exp } from "./exp.ts";
export { expand } from "./expand.ts";
export { gather } from "./gather.ts";
export { gemm, type GemmOptions } from "./gemm.ts";
export { layerNorm } from "./layer_norm.ts";
export { leakyRelu } from "./leaky_relu.ts";
export { log } from "./log.ts";
export { matmul } from "./matmul.ts";
export { mul } from "./mul.ts";
export { neg } from "./neg.ts";
export { pow } from "./pow.ts";
export { reduceMean } from "./reduce_mean.ts";
export { reduceSum } from "./reduce_sum.ts";
export { reduceSumSquare } from "./reduce_sum_square.ts";
export { relu } from "./relu.ts";
export { reshape, reshapeLike } from "./reshape.ts";
export { upsampleNearest } from "./resize.ts";
export { round } from "./round.ts";
export { scatterAdd } from "./scatter_elements.ts";
export { shapeOf } from "./shape.ts";
export { sigmoid } from "./sigmoid.ts";
export { slice } from "./slice.ts";
export { softmax } from "./softmax.ts";
export { split } from "./split.ts";
export { sqrt } from "./sqrt.ts";
export { squeeze } from "./squeeze.ts";
export { sub } from "./sub.ts";
export { tanh } from "./tanh.ts";
export { transpose } from "./transpose.ts";
export { unsqueeze } from "./unsqueeze.ts";
export { f32, type GradCase, i64const, type OpCase, type OpDef, rnd, t } from "./op.ts";
export { defineRegistry, entryFor, nodeGradients, type OpRegistry } from "./registry.ts";
