/**
 * The safetensors format: an 8-byte little-endian header length, a JSON
 * header (`{"__metadata__": {...}, "name": {"dtype", "shape", "data_offsets"}}`)
 * and the raw little-endian tensor bytes. Reading returns views into the
 * file's bytes (no copy unless a tensor is misaligned); every header field is
 * checked so that a bad file is a {@link UsageError} naming the file and the
 * tensor, never an out-of-bounds read. Writing follows the `safetensors`
 * crate's layout: tensors sorted by descending dtype alignment, then name;
 * header padded with spaces to a multiple of 8 bytes; written atomically.
 *
 * @example
 * ```ts
 * import { readSafetensors, writeSafetensors } from "./safetensors.ts";
 * writeSafetensors("out.safetensors", { w: { dtype: "float32", shape: [2], data: new Float32Array([1, 2]) } });
 * const { tensors, metadata } = readSafetensors("out.safetensors");
 * ```
 *
 * @module
 */
import { BYTES_PER_ELEMENT, type DType, sizeOf, type Tensor } from "../tensor.ts";
import { UsageError } from "../errors.ts";
import { BUDGETS } from "../budgets.ts";
import { writeFileAtomic } from "../fs.ts";
import { bytesOf, readBytes, viewAs } from "./bytes.ts";
import { registerFileBytes } from "./file_spans.ts";

/** safetensors dtype names and the tok1d dtype each maps to. */
export const SAFETENSORS_DTYPES: Readonly<Record<string, DType>> = {
  F64: "float64",
  F32: "float32",
  F16: "float16",
  BF16: "bfloat16",
  I64: "int64",
  I32: "int32",
  I16: "int16",
  I8: "int8",
  U8: "uint8",
  BOOL: "bool",
};

const NAME_OF = Object.fromEntries(Object.entries(SAFETENSORS_DTYPES).map(([k, v]) => [v, k])) as Record<
  DType,
  string
>;
/** The crate's `Dtype` enum order (increasing alignment), restricted to the dtypes above. */
const ALIGN_ORDER = ["BOOL", "U8", "I8", "I16", "F16", "BF16", "I32", "F32", "F64", "I64"];
/** The crate refuses headers above 100 MB; so do we (`BUDGETS.safetensorsHeaderBytes`). */
const MAX_HEADER = BUDGETS.safetensorsHeaderBytes;

/** A parsed safetensors file. */
export interface Safetensors {
  /** Tensors in file order; their data are views into the input bytes where aligned. */
  tensors: Map<string, Tensor>;
  /** The `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file (8 + header length). */
  dataStart: number;
  /** Each tensor's `[begin, end)` byte range, relative to `dataStart`. */
  offsets: Map<string, [number, number]>;
}

function isIndex(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Parses safetensors bytes. `source` names the file in error messages.
 *
 * @example
 * ```ts
 * const st = parseSafetensors(Deno.readFileSync("model.safetensors"), "model.safetensors");
 * st.tensors.get("encoder.ln_pre.weight")?.shape;
 * ```
 */
export function parseSafetensors(bytes: Uint8Array, source = "<bytes>"): Safetensors {
  const fail = (msg: string) => new UsageError(`${source}: ${msg}`);
  if (bytes.byteLength < 8) {
    throw fail(`not a safetensors file: ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  }
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.byteLength - 8)) {
    throw fail(
      `header length ${n} is larger than the file (${bytes.byteLength} bytes); truncated or not safetensors`,
    );
  }
  if (n > BigInt(MAX_HEADER)) throw fail(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  const dataStart = 8 + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    throw fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw fail("header is not a JSON object");
  }
  const dataLength = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { key: string; dtype: DType; shape: number[]; begin: number; end: number }[] = [];
  for (const [key, info] of Object.entries(header)) {
    if (key === "__metadata__") {
      if (typeof info !== "object" || info === null || Array.isArray(info)) {
        throw fail("__metadata__ is not an object of strings");
      }
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== "string") throw fail(`__metadata__ value '${k}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const bad = (msg: string) => fail(`tensor '${key}': ${msg}`);
    if (typeof info !== "object" || info === null) throw bad("entry is not an object");
    const { dtype: name, shape, data_offsets: off } = info as Record<string, unknown>;
    if (typeof name !== "string" || !Object.hasOwn(SAFETENSORS_DTYPES, name)) {
      throw bad(`unsupported dtype ${JSON.stringify(name)} (supported: ${Object.keys(SAFETENSORS_DTYPES)})`);
    }
    const dtype = SAFETENSORS_DTYPES[name];
    if (!Array.isArray(shape) || !shape.every(isIndex)) throw bad(`bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(off) || off.length !== 2 || !isIndex(off[0]) || !isIndex(off[1]) || off[0] > off[1]) {
      throw bad(`bad data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (end > dataLength) {
      throw bad(`data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes)`);
    }
    const want = sizeOf(shape) * BYTES_PER_ELEMENT[dtype];
    if (end - begin !== want) {
      throw bad(
        `data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${name} [${shape}] needs ${want}`,
      );
    }
    entries.push({ key, dtype, shape: [...shape], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let last: (typeof entries)[number] | undefined; // the non-empty tensor reaching furthest so far
  for (const cur of entries) {
    if (cur.end === cur.begin) continue;
    if (last && cur.begin < last.end) {
      throw fail(
        `tensor '${cur.key}' overlaps tensor '${last.key}' (data_offsets [${cur.begin}, ${cur.end}] ` +
          `and [${last.begin}, ${last.end}])`,
      );
    }
    last = cur;
  }
  const tensors = new Map<string, Tensor>();
  const offsets = new Map<string, [number, number]>();
  for (const { key, dtype, shape, begin, end } of entries) {
    const data = viewAs(dtype, bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(key, { dtype, shape, data });
    offsets.set(key, [begin, end]);
  }
  return { tensors, metadata, dataStart, offsets };
}

/**
 * Reads a `.safetensors` file (a missing file is a {@link UsageError}).
 *
 * @example
 * ```ts
 * const { tensors } = readSafetensors("snapshot/model.safetensors");
 * ```
 */
export function readSafetensors(path: string): Safetensors {
  const bytes = readBytes(path, "safetensors file");
  const parsed = parseSafetensors(bytes, path);
  registerFileBytes(bytes, path); // its tensors are views: ORT may read them from the file (file_spans.ts)
  return parsed;
}

/**
 * Serialises tensors to safetensors bytes, laid out as the `safetensors`
 * crate does (dtype alignment descending, then name).
 *
 * @example
 * ```ts
 * const bytes = serializeSafetensors({ b: { dtype: "uint8", shape: [1], data: new Uint8Array([1]) } });
 * ```
 */
export function serializeSafetensors(
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const items = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))];
  for (const [key, t] of items) {
    if (!NAME_OF[t.dtype]) throw new UsageError(`tensor '${key}': dtype ${t.dtype} cannot be written`);
    if (t.data.length !== sizeOf(t.shape)) {
      throw new UsageError(
        `tensor '${key}': shape [${t.shape}] needs ${sizeOf(t.shape)} elements, has ${t.data.length}`,
      );
    }
  }
  const rank = (t: Tensor) => ALIGN_ORDER.indexOf(NAME_OF[t.dtype]);
  items.sort(([ka, a], [kb, b]) => rank(b) - rank(a) || (ka < kb ? -1 : ka > kb ? 1 : 0));
  const parts: string[] = [];
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new UsageError(`safetensors metadata '${k}' must be a string`);
    }
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const [key, t] of items) {
    const end = offset + t.data.byteLength;
    const info = { dtype: NAME_OF[t.dtype], shape: t.shape, data_offsets: [offset, end] };
    parts.push(`${JSON.stringify(key)}:${JSON.stringify(info)}`);
    offset = end;
  }
  let header = new TextEncoder().encode(`{${parts.join(",")}}`);
  if (header.byteLength % 8 !== 0) {
    const padded = new Uint8Array(header.byteLength + 8 - (header.byteLength % 8)).fill(0x20);
    padded.set(header);
    header = padded;
  }
  const out = new Uint8Array(8 + header.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.byteLength), true);
  out.set(header, 8);
  let pos = 8 + header.byteLength;
  for (const [, t] of items) {
    out.set(bytesOf(t), pos);
    pos += t.data.byteLength;
  }
  return out;
}

/**
 * Writes tensors to a `.safetensors` file atomically (temporary file, then rename).
 *
 * @example
 * ```ts
 * const params = { w: { dtype: "float32" as const, shape: [1], data: new Float32Array([0.5]) } };
 * writeSafetensors("ckpt/step-100.safetensors", params, { step: "100" });
 * ```
 */
export function writeSafetensors(
  path: string,
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}
