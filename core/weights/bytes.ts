/**
 * Byte plumbing shared by the checkpoint readers: reading a whole file with
 * a {@link UsageError} when it is missing, viewing raw little-endian bytes as
 * a typed array without copying (copying only when the bytes are not aligned
 * to the element size), and the reverse byte view of a tensor.
 *
 * @example
 * ```ts
 * import { viewAs } from "./bytes.ts";
 * const f = viewAs("float32", new Uint8Array([0, 0, 128, 63])); // Float32Array [1]
 * ```
 *
 * @module
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { BYTES_PER_ELEMENT, type DataOf, type DType, type Tensor } from "../tensor.ts";
import { UsageError } from "../errors.ts";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Views `bytes` (little-endian) as the typed array of `dtype`. No copy is
 * made when `bytes.byteOffset` is a multiple of the element size; otherwise
 * the bytes are copied once into a fresh, aligned buffer.
 *
 * @example
 * ```ts
 * const raw = new Uint8Array(9).subarray(1); // misaligned for float64
 * viewAs("float64", raw).length; // 1 (a copy)
 * ```
 */
export function viewAs<D extends DType>(dtype: D, bytes: Uint8Array): DataOf[D] {
  if (!LITTLE_ENDIAN) throw new Error("tok1d weights: big-endian hosts are not supported");
  const size = BYTES_PER_ELEMENT[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new Error(`viewAs: ${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  }
  const src = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset } = src;
  const n = src.byteLength / size;
  const make: Record<DType, () => DataOf[DType]> = {
    float32: () => new Float32Array(buffer, byteOffset, n),
    float64: () => new Float64Array(buffer, byteOffset, n),
    float16: () => new Uint16Array(buffer, byteOffset, n),
    bfloat16: () => new Uint16Array(buffer, byteOffset, n),
    int64: () => new BigInt64Array(buffer, byteOffset, n),
    int32: () => new Int32Array(buffer, byteOffset, n),
    int16: () => new Int16Array(buffer, byteOffset, n),
    int8: () => new Int8Array(buffer, byteOffset, n),
    uint8: () => new Uint8Array(buffer, byteOffset, n),
    bool: () => new Uint8Array(buffer, byteOffset, n),
  };
  return make[dtype]() as DataOf[D];
}

/**
 * The raw bytes of a tensor's data (a view, no copy).
 *
 * @example
 * ```ts
 * bytesOf({ dtype: "int16", shape: [2], data: new Int16Array([1, 2]) }); // Uint8Array [1, 0, 2, 0]
 * ```
 */
export function bytesOf(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/**
 * Reads a whole file. A missing path, a folder or an unreadable file is a
 * {@link UsageError} naming the path and `what` it was expected to be.
 *
 * @example
 * ```ts
 * const bytes = readBytes("model.safetensors", "safetensors file");
 * ```
 */
export function readBytes(path: string, what = "file"): Uint8Array {
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new UsageError(`${what} not found: ${path}`);
  }
  if (!isFile) throw new UsageError(`${what} ${path} is not a regular file`);
  try {
    return readIntoOwnBuffer(path);
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** Chunk of one `read` call: large enough to be fast, small enough for a 2 GiB-limited read. */
const READ_CHUNK = 64 * 1024 * 1024;

/**
 * Reads a file into one buffer allocated at its final size. `readFileSync`
 * peaks at about twice a large file (it grows an intermediate buffer), which
 * for a multi-gigabyte checkpoint doubles the load's peak memory.
 *
 * @example
 * ```ts
 * const bytes = readIntoOwnBuffer("model.safetensors");
 * ```
 */
export function readIntoOwnBuffer(path: string, chunk = READ_CHUNK): Uint8Array {
  const fd = openSync(path, "r");
  try {
    return readRange(fd, 0, fstatSync(fd).size, chunk);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads `length` bytes at `start` of an open file into a new buffer, in reads of at most `chunk`
 * bytes; a file that ends early (changed while reading) is an error naming the byte.
 *
 * @example
 * ```ts
 * const fd = openSync("model.safetensors", "r");
 * const header = readRange(fd, 0, 8);
 * ```
 */
export function readRange(fd: number, start: number, length: number, chunk = READ_CHUNK): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0; at < length;) {
    const n = readSync(fd, out, at, Math.min(chunk, length - at), start + at);
    if (n === 0) {
      throw new Error(`file ended at byte ${start + at} of ${start + length} (changed while reading?)`);
    }
    at += n;
  }
  return out;
}
