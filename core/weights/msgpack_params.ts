/**
 * Reader of tux/EasyLM streaming msgpack checkpoints: ElasticTok's released
 * `params` files (and `streaming_train_state` / `streaming_params`).
 *
 * The format (tux `StreamingCheckpointer.save_train_state_to_file`): the
 * file is a plain concatenation of msgpack records, one per array of the
 * flattened Flax tree, each `[key, payload]` where `key` is the tree path (an
 * array of strings, e.g. `["encoder", "encoder_blocks", "scan_decoder",
 * "attention", "wq", "kernel"]`) and `payload` is a bin holding
 * `flax.serialization.to_bytes(array)`: a msgpack ext of type 1 whose data is
 * itself msgpack `[shape, dtype name, raw C-order bytes]` (arrays above
 * Flax's chunk limit become a `{__msgpack_chunked_array__, shape, chunks}`
 * map of such exts; numpy scalars are ext type 3). `params` files are cast to
 * bfloat16. Kernels are Flax's (in, out); with `scan_layers` each block
 * weight is stacked on axis 0 under a collection named `scan_decoder`.
 *
 * Records are read one at a time at their file offsets: this module frames
 * each record (array, key and bin headers give its length, checked against
 * the file size) and lets @msgpack/msgpack decode the key and the payload.
 * (The library's own stream decoder re-concatenates a partial record at every
 * chunk, quadratic in a 40 MB record.) Only one record's bytes are held at a
 * time; each array is converted to float32 and the bytes dropped. Scanned
 * arrays are unstacked into per-layer *views* of one float32 buffer (no copy),
 * named as upstream's unscanned layers: `encoder.encoder_blocks.3.attention.wq.kernel`.
 *
 * @example
 * ```ts
 * const tensors = loadMsgpackParams("ElasticTok-VAE/params", { expected: shapesOfTheGraph });
 * tensors.get("decoder.decoder_blocks.0.feed_forward.w1.kernel"); // float32 (1024, 2048)
 * for (const a of readMsgpackParams("params")) console.log(a.key, a.dtype, a.shape);
 * ```
 * @module
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { decode, ExtData } from "@msgpack/msgpack";
import { UsageError } from "../errors.ts";
import { halfToFloat, type Tensor } from "../tensor.ts";

/** Bytes per element of the dtypes a params file may hold (all read as float32). */
export const MSGPACK_PARAM_DTYPES: Readonly<Record<string, number>> = {
  bfloat16: 2,
  float16: 2,
  float32: 4,
  float64: 8,
};

/** One array of the file. */
export interface FlaxArray {
  /** The Flax tree path. */
  path: string[];
  /** The path joined by "/" (`encoder/in_proj/kernel`). */
  key: string;
  /** Stored dtype name (`bfloat16`). */
  dtype: string;
  shape: number[];
  /** The values as float32 (converted lazily, once). */
  tensor(): Tensor<"float32">;
}

/** Options of {@link readMsgpackParams}. */
export interface ReadParamsOptions {
  /** Keep only records under this path prefix, stripped (tux's `remove_dict_prefix`, e.g. ["params", "params"]). */
  prefix?: string[];
  /** Largest record accepted, in bytes (default 4 GiB). */
  maxRecordBytes?: number;
}

const HEADER_WINDOW = 1 << 16;

/** Length of the msgpack container/str/bin header at `b[p]`, its element count or byte length. */
function header(b: Uint8Array, p: number, what: string): { size: number; n: number } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const t = b[p];
  if (t === undefined) throw new RangeError(what);
  if ((t & 0xf0) === 0x90) return { size: 1, n: t & 0x0f }; // fixarray
  if ((t & 0xe0) === 0xa0) return { size: 1, n: t & 0x1f }; // fixstr
  const wide: Record<number, [number, 1 | 2 | 4]> = {
    0xc4: [2, 1], // bin8
    0xc5: [3, 2], // bin16
    0xc6: [5, 4], // bin32
    0xd9: [2, 1], // str8
    0xda: [3, 2], // str16
    0xdb: [5, 4], // str32
    0xdc: [3, 2], // array16
    0xdd: [5, 4], // array32
  };
  const w = wide[t];
  if (!w) throw new UsageError(`unexpected msgpack type 0x${t.toString(16)} in the ${what}`);
  if (p + w[0] > b.length) throw new RangeError(what);
  const n = w[1] === 1 ? b[p + 1] : w[1] === 2 ? dv.getUint16(p + 1) : dv.getUint32(p + 1);
  return { size: w[0], n };
}

/** Frames the record at the start of `b`: where its key ends and how long its payload is. */
function frame(
  b: Uint8Array,
): { keyStart: number; keyEnd: number; payloadStart: number; payloadLength: number } {
  const isArray = (t: number) => (t & 0xf0) === 0x90 || t === 0xdc || t === 0xdd;
  if (!isArray(b[0]) || header(b, 0, "record header").n !== 2) {
    throw new UsageError("a record is not a [key, payload] pair: this is not a tux streaming msgpack file");
  }
  const rec = header(b, 0, "record header");
  const keyStart = rec.size;
  const key = header(b, keyStart, "record key");
  if (!isArray(b[keyStart])) {
    throw new UsageError("a record's key is not an array of names");
  }
  let p = keyStart + key.size;
  for (let i = 0; i < key.n; i++) {
    const s = header(b, p, "record key");
    p += s.size + s.n;
    if (p > b.length) throw new RangeError("record key");
  }
  const payload = header(b, p, "record payload");
  return { keyStart, keyEnd: p, payloadStart: p + payload.size, payloadLength: payload.n };
}

/** Decodes `[shape, dtype, bytes]` (a Flax ndarray ext) and checks it against itself. */
function ndarray(data: Uint8Array, key: string): { shape: number[]; dtype: string; bytes: Uint8Array } {
  const v = decode(data, { maxArrayLength: 64 });
  if (!Array.isArray(v) || v.length !== 3) throw new UsageError(`${key}: not a Flax ndarray record`);
  const [shape, dtype, bytes] = v as [unknown, unknown, unknown];
  const ok = Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
  if (!ok) throw new UsageError(`${key}: invalid shape ${JSON.stringify(shape)}`);
  if (typeof dtype !== "string" || !(dtype in MSGPACK_PARAM_DTYPES)) {
    throw new UsageError(`${key}: dtype ${String(dtype)} is not one of ${Object.keys(MSGPACK_PARAM_DTYPES)}`);
  }
  if (!(bytes instanceof Uint8Array)) throw new UsageError(`${key}: array data is not a byte string`);
  const n = (shape as number[]).reduce((a, b) => a * b, 1);
  if (n * MSGPACK_PARAM_DTYPES[dtype] !== bytes.length) {
    throw new UsageError(
      `${key}: shape [${shape}] of ${dtype} needs ${
        n * MSGPACK_PARAM_DTYPES[dtype]
      } bytes, the record holds ${bytes.length}`,
    );
  }
  return { shape: shape as number[], dtype, bytes };
}

/** Converts little-endian bytes of `dtype` into `out` from element `at`. */
function toFloat32(dtype: string, b: Uint8Array, out: Float32Array, at: number): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = b.length / MSGPACK_PARAM_DTYPES[dtype];
  if (dtype === "bfloat16") {
    const u32 = new Uint32Array(out.buffer, out.byteOffset, out.length);
    if (b.byteOffset % 2 === 0) {
      const u16 = new Uint16Array(b.buffer, b.byteOffset, n);
      for (let i = 0; i < n; i++) u32[at + i] = u16[i] << 16;
    } else for (let i = 0; i < n; i++) u32[at + i] = dv.getUint16(2 * i, true) << 16;
  } else if (dtype === "float16") {
    for (let i = 0; i < n; i++) out[at + i] = halfToFloat(dv.getUint16(2 * i, true));
  } else if (dtype === "float32") { for (let i = 0; i < n; i++) out[at + i] = dv.getFloat32(4 * i, true); }
  else for (let i = 0; i < n; i++) out[at + i] = dv.getFloat64(8 * i, true);
}

/** The arrays of a payload: one ndarray ext, a numpy scalar, or Flax's chunked form. */
function arrayOf(payload: Uint8Array, where: string, path: string[]): FlaxArray {
  const key = where;
  const v = decode(payload, { maxArrayLength: 64, maxMapLength: 1 << 20 });
  let parts: { shape: number[]; dtype: string; bytes: Uint8Array }[];
  let shape: number[];
  if (v instanceof ExtData && (v.type === 1 || v.type === 3)) {
    parts = [ndarray(v.data as Uint8Array, key)];
    shape = parts[0].shape;
  } else if (v && typeof v === "object" && "__msgpack_chunked_array__" in v) {
    const c = v as unknown as { shape: Record<string, number>; chunks: Record<string, unknown> };
    shape = Object.keys(c.shape ?? {}).map((_, i) => c.shape[String(i)]);
    parts = Object.keys(c.chunks ?? {}).map((_, i) => {
      const e = c.chunks[String(i)];
      if (!(e instanceof ExtData) || e.type !== 1) throw new UsageError(`${key}: chunk ${i} is not an array`);
      return ndarray(e.data as Uint8Array, key);
    });
    const total = parts.reduce((s, p) => s + p.bytes.length / MSGPACK_PARAM_DTYPES[p.dtype], 0);
    const ok = shape.every((d) => Number.isSafeInteger(d) && d >= 0) &&
      parts.every((p) => p.dtype === parts[0]?.dtype);
    if (!ok || shape.reduce((a, b) => a * b, 1) !== total) {
      throw new UsageError(`${key}: chunked array of shape [${shape}] holds ${total} values`);
    }
  } else throw new UsageError(`${key}: the payload is not a Flax-serialised array`);
  const dtype = parts[0]?.dtype ?? "float32";
  let cached: Tensor<"float32"> | undefined;
  const tensor = () => {
    if (cached) return cached;
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    let at = 0;
    for (const p of parts) {
      toFloat32(p.dtype, p.bytes, data, at);
      at += p.bytes.length / MSGPACK_PARAM_DTYPES[p.dtype];
    }
    parts = []; // drop the raw bytes
    return (cached = { dtype: "float32", shape: [...shape], data });
  };
  return { path, key: path.join("/"), dtype, shape, tensor };
}

/** Reads `n` bytes at `pos` (looping over short reads). */
function readAt(fd: number, pos: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let got = 0; got < n;) {
    const r = readSync(fd, out, got, n - got, pos + got);
    if (r <= 0) throw new UsageError(`unexpected end of file at byte ${pos + got}`);
    got += r;
  }
  return out;
}

/**
 * Yields the arrays of a streaming msgpack file one by one, reading one
 * record at a time. Truncated or inconsistent records are a
 * {@link UsageError} naming the file and the key.
 */
export function* readMsgpackParams(file: string, o: ReadParamsOptions = {}): Generator<FlaxArray> {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw new UsageError(`cannot open params file ${file}: ${(e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    const max = o.maxRecordBytes ?? 2 ** 32;
    let pos = 0;
    while (pos < size) {
      const head = readAt(fd, pos, Math.min(HEADER_WINDOW, size - pos));
      let f: ReturnType<typeof frame>;
      try {
        f = frame(head);
      } catch (e) {
        if (!(e instanceof RangeError)) {
          throw new UsageError(`${file} at byte ${pos}: ${(e as Error).message}`);
        }
        throw new UsageError(
          `${file}: the record at byte ${pos} is truncated or its key is too long (${e.message})`,
        );
      }
      const path = decode(head.subarray(f.keyStart, f.keyEnd)) as unknown[];
      if (!path.every((s) => typeof s === "string")) {
        throw new UsageError(`${file} at byte ${pos}: a key is not text`);
      }
      const key = (path as string[]).join("/");
      const rest = size - pos - f.payloadStart;
      if (f.payloadLength > rest) {
        throw new UsageError(
          `${file}: ${key} claims ${f.payloadLength} bytes, only ${rest} remain (truncated file?)`,
        );
      }
      if (f.payloadLength > max) {
        throw new UsageError(`${file}: ${key} is ${f.payloadLength} bytes, over the ${max} limit`);
      }
      const start = pos + f.payloadStart;
      pos = start + f.payloadLength;
      const pre = o.prefix ?? [];
      if (pre.some((p, i) => path[i] !== p)) continue;
      const payload = readAt(fd, start, f.payloadLength);
      yield arrayOf(payload, `${file}: ${key}`, (path as string[]).slice(pre.length));
    }
  } finally {
    closeSync(fd);
  }
}
