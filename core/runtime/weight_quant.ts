/**
 * Host-side weight conversions for the precision passes: per-channel
 * symmetric int8 (one scale per output channel, zero point 0, codes in
 * [−127, 127]), bfloat16 and float16 rounding. Outputs are carved from one
 * {@link WeightPool} buffer, so a session gets one external-data block for all
 * converted weights instead of one per tensor.
 *
 * @example
 * ```ts
 * const pool = new WeightPool();
 * const q = quantizeInt8(pool, w, "out-in"); // w: float32 (N, K) → int8 (K, N) + scale (N)
 * ```
 * @module
 */
import { type DType, type Tensor, toFloat32 } from "../tensor.ts";

/** Allocates typed arrays of converted weights; {@link WeightPool.finish} fills them in one buffer. */
export class WeightPool {
  private readonly jobs: { bytes: number; fill: (buffer: ArrayBuffer, offset: number) => void }[] = [];
  private total = 0;

  /** Reserves a tensor of `dtype`/`shape` filled by `fill` once the pool's buffer exists. */
  reserve<D extends DType>(
    dtype: D,
    shape: number[],
    fill: (data: Tensor<D>["data"]) => void,
  ): { tensor: () => Tensor<D> } {
    const Kind = ARRAY_OF[dtype] as unknown as new (
      b: ArrayBuffer,
      o: number,
      n: number,
    ) => Tensor<D>["data"];
    const n = shape.reduce((a, b) => a * b, 1);
    let made: Tensor<D> | undefined;
    const bytes = Math.ceil((n * (BYTES[dtype] ?? 4)) / 8) * 8;
    this.jobs.push({
      bytes,
      fill: (buffer, offset) => {
        made = { dtype, shape, data: new Kind(buffer, offset, n) } as Tensor<D>;
        fill(made.data);
      },
    });
    this.total += bytes;
    return {
      tensor: () => {
        if (!made) throw new Error("WeightPool: tensor read before finish()");
        return made;
      },
    };
  }

  /** Allocates the buffer and runs every fill. */
  finish(): void {
    const buffer = new ArrayBuffer(this.total);
    let at = 0;
    for (const j of this.jobs) {
      j.fill(buffer, at);
      at += j.bytes;
    }
  }
}

const ARRAY_OF: Partial<Record<DType, unknown>> = {
  float32: Float32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int32: Int32Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
};
const BYTES: Partial<Record<DType, number>> = {
  float32: 4,
  int8: 1,
  uint8: 1,
  int32: 4,
  float16: 2,
  bfloat16: 2,
};

/**
 * How a weight is laid out: "out-in" (N, K) as torch Linear stores it (Gemm transB), "in-out"
 * (K, N) as MatMul reads it, "conv" (O, C/g, …kernel) with one channel per leading row.
 */
export type WeightLayout = "out-in" | "in-out" | "conv";

/** int8 codes and per-channel scales, with the codes in the layout the integer op reads. */
export interface Int8Weight {
  /** int8 (K, N) for matrices, (O, C/g, …) for convs. */
  codes: () => Tensor;
  /** float32 (N) or (O): w ≈ codes · scale. */
  scale: () => Tensor<"float32">;
}

/**
 * Reserves per-channel symmetric int8 codes of `w` in `pool`. Matrices come out (K, N) (what
 * DynamicQuantizeMatMul reads), conv kernels in their stored layout (what ConvInteger reads).
 */
export function quantizeInt8(pool: WeightPool, t: Tensor, layout: WeightLayout): Int8Weight {
  const w = (t.dtype === "float32" ? t : toFloat32(t)).data as Float32Array;
  // Channel c's values: row c of (N, K) and of conv weights (contiguous), column c of (K, N).
  const rows = layout !== "in-out";
  const channels = rows ? t.shape[0] : t.shape[1];
  const per = w.length / channels;
  const scales = new Float32Array(channels);
  if (rows) {
    for (let c = 0; c < channels; c++) {
      let m = 0;
      for (let j = c * per; j < (c + 1) * per; j++) m = Math.max(m, Math.abs(w[j]));
      scales[c] = m;
    }
  } else {
    for (let i = 0; i < w.length; i++) scales[i % channels] = Math.max(scales[i % channels], Math.abs(w[i]));
  }
  for (let c = 0; c < channels; c++) scales[c] = scales[c] > 0 ? scales[c] / 127 : 1;
  const code = (v: number, c: number) => Math.max(-127, Math.min(127, Math.round(v / scales[c])));
  // Codes (K, N) for matrices (a (N, K) weight is transposed here), the stored layout for convs.
  const codes = pool.reserve("int8", layout === "conv" ? [...t.shape] : [per, channels], (q) => {
    if (layout === "conv") { for (let i = 0; i < w.length; i++) q[i] = code(w[i], Math.floor(i / per)); }
    else if (layout === "in-out") { for (let i = 0; i < w.length; i++) q[i] = code(w[i], i % channels); }
    else {
      for (let c = 0; c < channels; c++) {
        for (let j = 0; j < per; j++) q[j * channels + c] = code(w[c * per + j], c);
      }
    }
  });
  const scale = pool.reserve("float32", [channels], (s) => s.set(scales));
  return { codes: codes.tensor, scale: scale.tensor };
}

/** Reserves `t` rounded to `dtype` (float16 or bfloat16, round to nearest even) in `pool`. */
export function roundWeight(pool: WeightPool, t: Tensor, dtype: "float16" | "bfloat16"): () => Tensor {
  const w = (t.dtype === "float32" ? t : toFloat32(t)).data as Float32Array;
  return pool.reserve(dtype, [...t.shape], (out) => {
    if (dtype === "float16") new Float16Array(out.buffer, out.byteOffset, out.length).set(w);
    else toBfloat16(w, out as Uint16Array);
  }).tensor;
}

/** float32 → bfloat16 bits, round to nearest even (NaN kept quiet). */
export function toBfloat16(w: Float32Array, out: Uint16Array): void {
  const bits = new Uint32Array(w.buffer, w.byteOffset, w.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    if ((b & 0x7fffffff) > 0x7f800000) {
      out[i] = (b >>> 16) | 0x40;
      continue;
    }
    out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
}
