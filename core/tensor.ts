/**
 * The host-side tensor every module passes around: a typed array plus a
 * row-major shape. Kept deliberately plain so it maps 1:1 onto ONNX Runtime
 * tensors, `.npy` files and safetensors entries.
 *
 * @module
 */

/** Element types tok1d knows. Names follow ONNX Runtime's tensor types. */
export type DType =
  | "float32"
  | "float64"
  | "float16"
  | "bfloat16"
  | "int64"
  | "int32"
  | "int16"
  | "int8"
  | "uint8"
  | "bool";

/** The typed array that holds each dtype (float16/bfloat16 as raw 16-bit words). */
export interface DataOf {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int16: Int16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export type TensorData = DataOf[DType];

/** A dense row-major tensor. */
export interface Tensor<D extends DType = DType> {
  dtype: D;
  shape: number[];
  data: DataOf[D];
}

/** Bytes per element of each dtype. */
export const BYTES_PER_ELEMENT: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Allocates a zero-filled tensor. */
export function zeros<D extends DType>(dtype: D, shape: number[]): Tensor<D> {
  const n = sizeOf(shape);
  const make: Record<DType, () => TensorData> = {
    float32: () => new Float32Array(n),
    float64: () => new Float64Array(n),
    float16: () => new Uint16Array(n),
    bfloat16: () => new Uint16Array(n),
    int64: () => new BigInt64Array(n),
    int32: () => new Int32Array(n),
    int16: () => new Int16Array(n),
    int8: () => new Int8Array(n),
    uint8: () => new Uint8Array(n),
    bool: () => new Uint8Array(n),
  };
  return { dtype, shape: [...shape], data: make[dtype]() as DataOf[D] };
}

/** Wraps a typed array as a tensor, checking that the sizes agree. */
export function tensor<D extends DType>(dtype: D, shape: number[], data: DataOf[D]): Tensor<D> {
  if (data.length !== sizeOf(shape)) {
    throw new Error(`tensor: shape [${shape}] needs ${sizeOf(shape)} elements, got ${data.length}`);
  }
  return { dtype, shape: [...shape], data };
}

/** Converts an IEEE half-precision word to a number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Converts a bfloat16 word to a number (exact: bfloat16 is the top half of float32). */
export function bfloat16ToFloat(h: number): number {
  const u = new Uint32Array([h << 16]);
  return new Float32Array(u.buffer)[0];
}

/** Returns the tensor's values as float32, converting from any numeric dtype. */
export function toFloat32(t: Tensor): Tensor<"float32"> {
  if (t.dtype === "float32") return t as Tensor<"float32">;
  const n = t.data.length;
  const out = new Float32Array(n);
  if (t.dtype === "float16") { for (let i = 0; i < n; i++) out[i] = halfToFloat((t.data as Uint16Array)[i]); }
  else if (t.dtype === "bfloat16") {
    const u32 = new Uint32Array(out.buffer);
    const src = t.data as Uint16Array;
    for (let i = 0; i < n; i++) u32[i] = src[i] << 16;
  } else if (t.dtype === "int64") {
    for (let i = 0; i < n; i++) {
      out[i] = Number((t.data as BigInt64Array)[i]);
    }
  } else out.set(t.data as ArrayLike<number>);
  return { dtype: "float32", shape: [...t.shape], data: out };
}
