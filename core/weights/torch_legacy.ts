/**
 * Reader for the legacy (pre-1.6, non-zip) `torch.save` format, in which
 * pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` (2019) is published.
 * The file is five pickles in a row — magic number, protocol version, system
 * info, the object, the sorted storage keys — followed by each storage as an
 * int64 element count and its raw little-endian bytes. The object pickle goes
 * through the restricted unpickler (pickle.ts; no code runs); tensors are
 * rebuilt once the storages behind them have been read. `loadCheckpoint`
 * (checkpoint.ts) reads such files through {@link unpickleLegacyTorch}; the
 * taming/LPIPS `vgg.pth` heads are another file published this way.
 *
 * @example
 * ```ts
 * const bytes = Deno.readFileSync("pt_inception-2015-12-05-6726825d.pth");
 * if (isLegacyTorch(bytes)) {
 *   const tensors = parseLegacyTorch(bytes, "pt_inception.pth"); // Map "Conv2d_1a_3x3.conv.weight" → Tensor
 * }
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";
import { describeValue } from "../budgets.ts";
import { BYTES_PER_ELEMENT, type Tensor } from "../tensor.ts";
import { viewAs } from "./bytes.ts";
import { PyGlobal, unpickle } from "./pickle.ts";
import { flattenStateDict } from "./state_dict.ts";
import { rebuildTensor, STORAGE_DTYPES, TorchStorage } from "./torch_zip.ts";

/** `pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)` without its STOP: the legacy magic number. */
const MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/** True when `bytes` start with the legacy torch serialization's magic number. */
export function isLegacyTorch(bytes: Uint8Array): boolean {
  return MAGIC.every((b, i) => bytes[i] === b);
}

// Argument layout of every pickle opcode (protocols 0–5): fixed byte counts,
// length-prefixed payloads (prefix size, negative = little-endian count of
// that many bytes), or newline-terminated lines.
const FIXED: Record<number, number> = {
  0x4b: 1,
  0x71: 1,
  0x68: 1,
  0x80: 1,
  0x82: 1, // BININT1 BINPUT BINGET PROTO EXT1
  0x4d: 2,
  0x83: 2, // BININT2 EXT2
  0x4a: 4,
  0x72: 4,
  0x6a: 4,
  0x84: 4, // BININT LONG_BINPUT LONG_BINGET EXT4
  0x47: 8,
  0x95: 8, // BINFLOAT FRAME
};
const PREFIXED: Record<number, number> = {
  0x8a: 1,
  0x43: 1,
  0x55: 1,
  0x8c: 1, // LONG1 SHORT_BINBYTES SHORT_BINSTRING SHORT_BINUNICODE
  0x8b: 4,
  0x54: 4,
  0x58: 4,
  0x42: 4, // LONG4 BINSTRING BINUNICODE BINBYTES
  0x8d: 8,
  0x8e: 8,
  0x96: 8, // BINUNICODE8 BINBYTES8 BYTEARRAY8
};
const LINES: Record<number, number> = {
  0x49: 1,
  0x4c: 1,
  0x46: 1,
  0x53: 1,
  0x56: 1,
  0x50: 1,
  0x70: 1,
  0x67: 1, // INT LONG FLOAT STRING UNICODE PERSID PUT GET
  0x63: 2,
  0x69: 2, // GLOBAL INST
};
const BARE = new Set([
  ..."()012N]}abdelostuRQ.".split("").map((c) => c.charCodeAt(0)),
  0x81,
  0x85,
  0x86,
  0x87,
  0x88,
  0x89,
  0x8f,
  0x90,
  0x91,
  0x92,
  0x93,
  0x94,
  0x97,
  0x98,
]);

/** Index just past the STOP of the pickle that starts at `start` (opcodes are walked, not run). */
export function pickleEnd(bytes: Uint8Array, start: number, source = "<bytes>"): number {
  const fail = (at: number) => new UsageError(`${source}: malformed legacy torch file near byte ${at}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = start;
  while (pos < bytes.length) {
    const op = bytes[pos++];
    if (op === 0x2e) return pos;
    if (FIXED[op] !== undefined) pos += FIXED[op];
    else if (PREFIXED[op] !== undefined) {
      const w = PREFIXED[op];
      if (pos + w > bytes.length) throw fail(pos);
      const n = w === 1
        ? bytes[pos]
        : w === 4
        ? view.getUint32(pos, true)
        : Number(view.getBigUint64(pos, true));
      pos += w + n;
    } else if (LINES[op] !== undefined) {
      for (let i = 0; i < LINES[op]; i++) {
        const end = bytes.indexOf(0x0a, pos);
        if (end < 0) throw fail(pos);
        pos = end + 1;
      }
    } else if (!BARE.has(op)) throw fail(pos - 1);
  }
  throw fail(pos);
}

/** A tensor waiting for its storage's bytes (those follow the object pickle). */
class PendingTensor {
  constructor(readonly storage: TorchStorage, readonly args: unknown[]) {}
}

/**
 * Parses a legacy `torch.save` file into a flat state dict (nested dicts
 * become dotted keys). Any non-tensor value is ignored.
 */
export function parseLegacyTorch(bytes: Uint8Array, source = "<checkpoint>"): Map<string, Tensor> {
  return flattenStateDict(unpickleLegacyTorch(bytes, source), source).tensors;
}

/**
 * Unpickles a legacy `torch.save` file into its object graph (dicts are
 * Maps, tensors are {@link Tensor}s), as `unpickleTorch` does for zip files.
 */
export function unpickleLegacyTorch(bytes: Uint8Array, source = "<checkpoint>"): unknown {
  if (!isLegacyTorch(bytes)) throw new UsageError(`${source} is not a legacy torch.save file`);
  let pos = 0;
  const next = () => {
    const end = pickleEnd(bytes, pos, source);
    const part = bytes.subarray(pos, end);
    pos = end;
    return part;
  };
  next(); // magic number
  next(); // protocol version
  const sysInfo = unpickle(next(), { source });
  if (sysInfo instanceof Map && sysInfo.get("little_endian") === false) {
    throw new UsageError(`${source}: big-endian checkpoints are not supported`);
  }
  const storages = new Map<string, TorchStorage>();
  const views = new Map<TorchStorage, [TorchStorage, number]>(); // slice → (root, element offset)
  const persistentLoad = (pid: unknown) => {
    if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length < 5) {
      throw new UsageError(`${source}: unsupported persistent id ${describeValue(pid)}`);
    }
    const [, cls, key, , numel, view] = pid;
    const dtype = cls instanceof PyGlobal && cls.module === "torch" ? STORAGE_DTYPES[cls.name] : undefined;
    if (!dtype || typeof key !== "string" || typeof numel !== "number") {
      throw new UsageError(`${source}: unsupported storage ${cls instanceof PyGlobal ? cls.qualified : cls}`);
    }
    let root = storages.get(key);
    if (!root) storages.set(key, root = new TorchStorage(key, dtype, viewAs(dtype, new Uint8Array(0))));
    if (!Array.isArray(view)) return root;
    // (view_key, offset, size): a slice of a larger root storage, resolved after the data is read.
    const slice = new TorchStorage(String(view[0]), dtype, viewAs(dtype, new Uint8Array(0)));
    const offset = view[1];
    if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
      throw new UsageError(`${source}: storage view of '${key}' has a bad offset ${describeValue(offset)}`);
    }
    views.set(slice, [root, offset]);
    return slice;
  };
  const reduce = (fn: PyGlobal, args: unknown[]) => {
    if (fn.qualified === "torch._utils._rebuild_tensor_v2" && args[0] instanceof TorchStorage) {
      return new PendingTensor(args[0], args);
    }
    if (fn.qualified.startsWith("torch._utils._rebuild_parameter")) return args[0];
    return undefined;
  };
  const obj = unpickle(next(), { source, persistentLoad, reduce });
  const keys = unpickle(next(), { source });
  if (!Array.isArray(keys)) throw new UsageError(`${source}: storage key list missing`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const filled = new Map<string, TorchStorage>();
  for (const key of keys) {
    const s = storages.get(String(key));
    if (!s || pos + 8 > bytes.length) throw new UsageError(`${source}: storage '${key}' is missing`);
    const numel = Number(view.getBigInt64(pos, true));
    const nbytes = numel * BYTES_PER_ELEMENT[s.dtype];
    if (!(numel >= 0) || pos + 8 + nbytes > bytes.length) {
      throw new UsageError(`${source}: storage '${key}' is truncated`);
    }
    filled.set(
      s.key,
      new TorchStorage(s.key, s.dtype, viewAs(s.dtype, bytes.subarray(pos + 8, pos + 8 + nbytes))),
    );
    pos += 8 + nbytes;
  }
  const resolve = (s: TorchStorage): TorchStorage => {
    const v = views.get(s);
    if (v) return new TorchStorage(s.key, s.dtype, resolve(v[0]).data.subarray(v[1]));
    const f = filled.get(s.key);
    if (!f) throw new UsageError(`${source}: storage '${s.key}' has no data`);
    return f;
  };
  // The unpickler refused cycles and nesting past BUDGETS.pickleDepth; shared values are rebuilt once.
  const done = new Map<unknown, unknown>();
  const materialise = (x: unknown): unknown => {
    if (!(x instanceof PendingTensor || x instanceof Map || Array.isArray(x))) return x;
    if (done.has(x)) return done.get(x);
    let out: unknown;
    if (x instanceof PendingTensor) {
      const [, offset, size, stride] = x.args;
      out = rebuildTensor(resolve(x.storage), offset, size, stride, source);
    } else if (x instanceof Map) out = new Map([...x].map(([k, v]) => [k, materialise(v)]));
    else out = x.map(materialise);
    done.set(x, out);
    return out;
  };
  return materialise(obj);
}
