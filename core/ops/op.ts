/**
 * What every op file exports besides its emitter: an {@link OpDef} with the
 * ONNX op type and forward cases whose expected values were computed by hand.
 * `tests/ops_test.ts` runs every case of every registered op through ONNX
 * Runtime. Each def also carries its gradient rule (`vjp`) and grad-check
 * cases; `registry.ts` says how a graph node finds its entry.
 *
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import type { DType, Tensor } from "../tensor.ts";
import type { VjpContext, VjpRule } from "./_grad/rule.ts";

/** One forward check: inputs, options for the emitter, expected outputs. */
export interface OpCase {
  name: string;
  inputs: Tensor[];
  options?: Record<string, unknown>;
  expected: Tensor[];
  /** Absolute tolerance for float outputs (default 1e-6). */
  tolerance?: number;
}

/**
 * One gradient check: the op's vjp against central finite differences along a
 * random direction, in float64 (float32 where ONNX Runtime lacks the kernel).
 */
export interface GradCase {
  name: string;
  inputs: Tensor[];
  options?: Record<string, unknown>;
  /** Indices of the inputs to differentiate (default: every float input). */
  wrt?: number[];
}

/** An op's registry entry. */
export interface OpDef {
  /** The entry's name in the registry, unique (`AveragePoolPadded`); starts with its ONNX type. */
  key: string;
  /** ONNX op type (`AveragePool`); several entries may share one. */
  type: string;
  /**
   * Which nodes of `type` this entry's gradient rule differentiates. Required
   * when another entry has the same type: a node must match exactly one of them.
   */
  matches?: (node: VjpContext) => boolean;
  /** Emits the op on `inputs` with `options` (the same options the cases use). */
  // deno-lint-ignore no-explicit-any
  emit(g: Graph, inputs: Value[], options?: any): Value[];
  cases: OpCase[];
  /** Gradient rule; `null` for ops whose outputs carry no gradient (integer results). */
  vjp: VjpRule | null;
  /** Grad-check cases (required when `vjp` is a rule). */
  gradCases: GradCase[];
}

/** Builds a test tensor from plain numbers. */
export function t(dtype: DType, shape: number[], values: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (values.length !== n) throw new Error(`t(): shape [${shape}] needs ${n} values, got ${values.length}`);
  switch (dtype) {
    case "float32":
      return { dtype, shape, data: Float32Array.from(values) };
    case "float64":
      return { dtype, shape, data: Float64Array.from(values) };
    case "int64":
      return { dtype, shape, data: BigInt64Array.from(values.map((v) => BigInt(v))) };
    case "int32":
      return { dtype, shape, data: Int32Array.from(values) };
    case "bool":
    case "uint8":
      return { dtype, shape, data: Uint8Array.from(values) };
    default:
      throw new Error(`t(): unsupported dtype ${dtype}`);
  }
}

/** A float32 test tensor. */
export const f32 = (shape: number[], values: number[]): Tensor => t("float32", shape, values);

/** An int64 tensor constant in the graph (shapes, axes, indices). */
export function i64const(g: Graph, values: number[], hint = "shape"): Value {
  return g.constant(t("int64", [values.length], values), hint);
}

/** Deterministic pseudo-random values in [-1, 1) (grad-check inputs), offset by `shift`. */
export function rnd(shape: number[], seed = 1, shift = 0): Tensor {
  let s = seed * 2654435761 >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, () => {
    s = (Math.imul(s ^ (s >>> 13), 1597334677) + 0x9e3779b9) >>> 0;
    return (s / 4294967296) * 2 - 1 + shift;
  });
  return f32(shape, values);
}
