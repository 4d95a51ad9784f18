/**
 * The Python names a checkpoint pickle may use and what they mean here: the
 * allow-list, the inert {@link PyGlobal}/{@link PyObject} values, and the
 * built-in meaning of the harmless callables (`OrderedDict`, `set`,
 * `_codecs.encode`, `torch.Size`, numpy scalars). Nothing is imported or
 * executed; torch tensor rebuilders get their meaning from the caller's hook.
 *
 * @example
 * ```ts
 * import { ALLOWED_GLOBALS, builtinCall, PyGlobal } from "./pickle_globals.ts";
 * ALLOWED_GLOBALS.has("os.system"); // false
 * builtinCall(new PyGlobal("torch", "Size"), [[2, 3]], (m) => new Error(m)); // [2, 3]
 * ```
 *
 * @module
 */
import type { UsageError } from "../errors.ts";

/** A reference to an allowed Python global (inert: nothing is imported or called). */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  /** `module.name`, e.g. `torch.FloatStorage`. */
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An allowed Python object with no JavaScript meaning: its class, constructor arguments and BUILD state. */
export class PyObject {
  constructor(readonly cls: PyGlobal, readonly args: unknown[], public state?: unknown) {}
}

/** The only globals a pickle may name. */
export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_parameter",
  "torch._utils._rebuild_parameter_with_state",
  // storage classes named by persistent ids
  ...["Float", "Half", "BFloat16", "Double", "Long", "Int", "Short", "Char", "Byte", "Bool"]
    .map((s) => `torch.${s}Storage`),
  // dtypes, should a pickle name them
  ...["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"]
    .map((s) => `torch.${s}`),
  "torch.Size",
  "builtins.set",
  "builtins.frozenset",
  "__builtin__.set",
  "__builtin__.frozenset",
  "_codecs.encode",
  "numpy.core.multiarray.scalar",
  "numpy._core.multiarray.scalar",
  "numpy.dtype",
]);

const NUMPY_SCALARS: Record<string, [number, (v: DataView) => number | bigint]> = {
  f8: [8, (v) => v.getFloat64(0, true)],
  f4: [4, (v) => v.getFloat32(0, true)],
  i8: [8, (v) => v.getBigInt64(0, true)],
  u8: [8, (v) => v.getBigUint64(0, true)],
  i4: [4, (v) => v.getInt32(0, true)],
  u4: [4, (v) => v.getUint32(0, true)],
  i2: [2, (v) => v.getInt16(0, true)],
  u2: [2, (v) => v.getUint16(0, true)],
  i1: [1, (v) => v.getInt8(0)],
  u1: [1, (v) => v.getUint8(0)],
  b1: [1, (v) => v.getUint8(0)],
};

/** A bigint as a number when it is exactly representable. */
export function small(v: bigint): number | bigint {
  return v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * The built-in meaning of the allowed non-torch callables; other allowed
 * globals become a {@link PyObject}.
 *
 * @example
 * ```ts
 * builtinCall(new PyGlobal("_codecs", "encode"), ["\u00ff", "latin1"], (m) => new Error(m)); // Uint8Array [255]
 * ```
 */
export function builtinCall(fn: PyGlobal, args: unknown[], fail: (m: string) => UsageError): unknown {
  const q = fn.qualified;
  if (q === "collections.OrderedDict") {
    const m = new Map();
    if (Array.isArray(args[0])) { for (const kv of args[0]) if (Array.isArray(kv)) m.set(kv[0], kv[1]); }
    return m;
  }
  if (q.endsWith(".set") || q.endsWith(".frozenset")) return new Set(Array.isArray(args[0]) ? args[0] : []);
  if (q === "torch.Size") return Array.isArray(args[0]) ? [...args[0]] : [];
  if (q === "_codecs.encode") {
    const [s, enc] = args;
    if (typeof s !== "string") throw fail("_codecs.encode of a non-string");
    if (enc === "latin1" || enc === "latin-1") {
      const out = Uint8Array.from(s, (c) => c.charCodeAt(0));
      if (out.length === s.length && [...s].every((c) => c.charCodeAt(0) < 256)) return out;
      throw fail("_codecs.encode: string is not latin-1");
    }
    if (enc === "utf-8" || enc === "utf8") return new TextEncoder().encode(s);
    throw fail(`_codecs.encode with unsupported encoding ${JSON.stringify(enc)}`);
  }
  if (q.endsWith("multiarray.scalar")) {
    const [dtype, raw] = args;
    const code = dtype instanceof PyObject ? String(dtype.cls.name === "dtype" ? dtype.args[0] : "") : "";
    const order = dtype instanceof PyObject && Array.isArray(dtype.state) ? dtype.state[1] : "<";
    const kind = NUMPY_SCALARS[code.replace(/^[<|=]/, "")];
    if (kind && raw instanceof Uint8Array && raw.byteLength === kind[0] && order !== ">") {
      const v = kind[1](new DataView(raw.buffer, raw.byteOffset, raw.byteLength));
      return typeof v === "bigint" ? small(v) : v;
    }
  }
  return new PyObject(fn, args);
}
