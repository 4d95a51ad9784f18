/**
 * NumPy `.npy` files: read versions 1.0, 2.0 and 3.0, write 1.0 (2.0 when the
 * header needs more than 64 KiB), C order only.
 *
 * Element types: `<f4 <f8 <f2 <i8 <i4 <i2 |i1 |u1 |b1` (big-endian `>` files
 * are read and byte-swapped; `|`, `<` and `=` are accepted for 1-byte types).
 * `float16` is kept as raw 16-bit words, as everywhere in tok1d. `bfloat16` has
 * no NumPy type: convert it with `toFloat32` before writing.
 *
 * Every malformed input (bad magic, truncated header, unknown dtype, Fortran
 * order, data size that does not match the shape, a header past
 * `BUDGETS.npyHeaderBytes`) is a {@link UsageError} whose message names the file.
 *
 * @example
 * ```ts
 * import { readNpy, writeNpy } from "./npy.ts";
 * import { tensor } from "../tensor.ts";
 * writeNpy("/tmp/tokens.npy", tensor("int64", [1, 1, 2], new BigInt64Array([5n, 7n])));
 * const t = readNpy("/tmp/tokens.npy"); // { dtype: "int64", shape: [1, 1, 2], ... }
 * ```
 * @module
 */
import { readFileSync } from "node:fs";
import { UsageError } from "../errors.ts";
import { BUDGETS, overBudget } from "../budgets.ts";
import { writeFileAtomic } from "../fs.ts";
import { BYTES_PER_ELEMENT, type DataOf, type DType, sizeOf, type Tensor } from "../tensor.ts";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** NumPy type code (kind + size) of each dtype tok1d can store in `.npy`. */
const CODE_OF: Partial<Record<DType, string>> = {
  float32: "f4",
  float64: "f8",
  float16: "f2",
  int64: "i8",
  int32: "i4",
  int16: "i2",
  int8: "i1",
  uint8: "u1",
  bool: "b1",
};
const DTYPE_OF: Record<string, DType> = Object.fromEntries(
  Object.entries(CODE_OF).map(([d, c]) => [c, d as DType]),
);

/** Typed-array constructor of each dtype. */
const ARRAY_OF: Record<DType, new (buffer: ArrayBuffer) => DataOf[DType]> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** Parsed `.npy` header. */
interface Header {
  dtype: DType;
  bigEndian: boolean;
  shape: number[];
  dataOffset: number;
}

function parseHeader(bytes: Uint8Array, name: string): Header {
  const fail = (why: string) => new UsageError(`${name}: not a valid .npy file (${why})`);
  if (bytes.length < 10) throw fail(`truncated: ${bytes.length} bytes`);
  if (!MAGIC.every((b, i) => bytes[i] === b)) throw fail("bad magic, expected \\x93NUMPY");
  const major = bytes[6];
  if (major < 1 || major > 3) throw fail(`unsupported format version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw fail("truncated header length");
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (headerLen > BUDGETS.npyHeaderBytes) {
    throw overBudget(name, `a .npy header of ${headerLen} bytes`, "npyHeaderBytes");
  }
  if (start + headerLen > bytes.length) {
    throw fail(`truncated header: needs ${start + headerLen} bytes, file has ${bytes.length}`);
  }
  const decoder = new TextDecoder(major === 3 ? "utf-8" : "latin1");
  const text = decoder.decode(bytes.subarray(start, start + headerLen));

  const descr = /['"]descr['"]\s*:\s*['"]([<>|=])([a-zA-Z]\d+)['"]/.exec(text);
  if (!descr) throw fail(`no simple 'descr' in header ${JSON.stringify(text.trim())}`);
  const [, order, code] = descr;
  const dtype = DTYPE_OF[code];
  if (!dtype) {
    throw fail(`dtype '${order}${code}' is not supported (use ${Object.values(CODE_OF).join(", ")})`);
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  if (!fortran) throw fail("no 'fortran_order' in header");
  if (fortran[1] === "True") {
    throw new UsageError(
      `${name}: Fortran-order arrays are not supported; save with numpy.ascontiguousarray`,
    );
  }
  // Two linear searches, not one regex with `[^)]*` (quadratic on a header of many unclosed "'shape': (").
  const shapeKey = /['"]shape['"]\s*:\s*\(/.exec(text);
  const close = shapeKey ? text.indexOf(")", shapeKey.index + shapeKey[0].length) : -1;
  if (!shapeKey || close < 0) throw fail("no 'shape' in header");
  const shape = text.slice(shapeKey.index + shapeKey[0].length, close).split(",").map((s) => s.trim()).filter(
    (s) => s !== "",
  ).map((s) => {
    const n = /^\d+L?$/.test(s) ? parseInt(s, 10) : NaN;
    if (!Number.isSafeInteger(n)) throw fail(`bad shape entry '${s}'`);
    return n;
  });
  return { dtype, bigEndian: order === ">", shape, dataOffset: start + headerLen };
}

/**
 * Decodes `.npy` bytes into a tensor (the data is copied into a fresh,
 * aligned buffer). `name` is used in error messages.
 *
 * @example
 * ```ts
 * import { tensor } from "../tensor.ts";
 * const t = decodeNpy(encodeNpy(tensor("float32", [2], new Float32Array([1, 2]))));
 * ```
 */
export function decodeNpy(bytes: Uint8Array, name = "<npy bytes>"): Tensor {
  const { dtype, bigEndian, shape, dataOffset } = parseHeader(bytes, name);
  const itemSize = BYTES_PER_ELEMENT[dtype];
  const count = sizeOf(shape);
  const nbytes = count * itemSize;
  const have = bytes.length - dataOffset;
  if (have !== nbytes) {
    throw new UsageError(
      `${name}: data size mismatch: shape [${shape}] of ${dtype} needs ${nbytes} bytes, file has ${have}`,
    );
  }
  const copy = new Uint8Array(nbytes); // not bytes.slice: on a Node Buffer that is a view
  copy.set(bytes.subarray(dataOffset, dataOffset + nbytes));
  if (bigEndian && itemSize > 1) {
    for (let i = 0; i < nbytes; i += itemSize) copy.subarray(i, i + itemSize).reverse();
  }
  const data = new ARRAY_OF[dtype](copy.buffer);
  return { dtype, shape, data };
}

/**
 * Reads a `.npy` file (or decodes bytes already in memory).
 *
 * @example
 * ```ts
 * const tokens = readNpy("tokens.npy");
 * console.log(tokens.dtype, tokens.shape);
 * ```
 */
export function readNpy(source: string | Uint8Array): Tensor {
  if (typeof source !== "string") return decodeNpy(source);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(source);
  } catch (e) {
    throw new UsageError(`${source}: cannot read .npy file (${(e as Error).message})`);
  }
  return decodeNpy(bytes, source);
}

/**
 * Encodes a tensor as `.npy` bytes (format 1.0, or 2.0 for huge headers),
 * little-endian, C order, header padded so the data starts on a 64-byte boundary.
 *
 * @example
 * ```ts
 * import { tensor } from "../tensor.ts";
 * const bytes = encodeNpy(tensor("uint8", [2, 2], new Uint8Array([1, 2, 3, 4])));
 * ```
 */
export function encodeNpy(t: Tensor): Uint8Array {
  if (t.data.length !== sizeOf(t.shape)) {
    throw new UsageError(
      `encodeNpy: shape [${t.shape}] needs ${sizeOf(t.shape)} elements, got ${t.data.length}`,
    );
  }
  const header = npyHeader(t.dtype, t.shape);
  const body = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

/**
 * The header bytes of a `.npy` file of `dtype` and `shape` (its data follows
 * directly): what a streaming writer puts before rows it wrote elsewhere.
 *
 * @example
 * ```ts
 * const head = npyHeader("int64", [2000, 1, 32]); // 128 bytes, data starts after them
 * ```
 */
export function npyHeader(dtype: DType, shape: readonly number[]): Uint8Array {
  const code = CODE_OF[dtype];
  if (!code) throw new UsageError(`encodeNpy: NumPy has no ${dtype} type; convert with toFloat32 first`);
  const descr = `${BYTES_PER_ELEMENT[dtype] === 1 ? "|" : "<"}${code}`;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const padded = (prefix: number) => Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const [major, prefix] = padded(10) - 10 <= 0xffff ? [1, 10] : [2, 12];
  const total = padded(prefix);
  const header = dict.padEnd(total - prefix - 1, " ") + "\n";
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  return out;
}

/**
 * Writes a tensor to a `.npy` file atomically (temporary file, then rename).
 *
 * @example
 * ```ts
 * import { tensor } from "../tensor.ts";
 * writeNpy("out/tokens.npy", tensor("int64", [1, 1, 32], new BigInt64Array(32)));
 * ```
 */
export function writeNpy(path: string, t: Tensor): void {
  writeFileAtomic(path, encodeNpy(t));
}
