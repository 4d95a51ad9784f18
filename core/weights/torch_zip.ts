/**
 * PyTorch checkpoints (`.bin`, `.pth`, `.pt`, `.ckpt`) in the zip format
 * `torch.save` writes since 1.6: `<archive>/data.pkl` (the pickled object)
 * and one `<archive>/data/<key>` entry per storage. The pickle is read by
 * the restricted unpickler in `pickle.ts`; storages are views into the file
 * (torch aligns them to 64 bytes), and `_rebuild_tensor_v2` becomes a
 * contiguous {@link Tensor}: a view when the stride is row-major, a gathered
 * copy otherwise. Tensors that share a storage share memory. A view may only
 * address elements of its storage, and a gathered copy larger than its
 * storage (a stride-0 `expand`) must fit `BUDGETS.expandBytes`.
 *
 * @example
 * ```ts
 * import { readTorchCheckpoint } from "./torch_zip.ts";
 * const { tensors, extra } = readTorchCheckpoint("titok_s128.bin");
 * tensors.get("encoder.ln_pre.weight")?.shape;
 * ```
 *
 * @module
 */
import { BYTES_PER_ELEMENT, type DType, sizeOf, type Tensor, type TensorData, zeros } from "../tensor.ts";
import { UsageError } from "../errors.ts";
import { BUDGETS, describeValue, overBudget } from "../budgets.ts";
import { readBytes, viewAs } from "./bytes.ts";
import { PyGlobal, unpickle } from "./pickle.ts";
import { isTensor, selectStateDict, type StateDict } from "./state_dict.ts";
import { InflateTally, isZip, readZip, zipEntryData } from "./zip.ts";

/** torch storage classes and the dtype of their elements. */
export const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  FloatStorage: "float32",
  DoubleStorage: "float64",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  LongStorage: "int64",
  IntStorage: "int32",
  ShortStorage: "int16",
  CharStorage: "int8",
  ByteStorage: "uint8",
  BoolStorage: "bool",
};

/** One storage of a checkpoint: `numel` elements of `dtype`. */
export class TorchStorage {
  constructor(readonly key: string, readonly dtype: DType, readonly data: TensorData) {}
}

/** What {@link readTorchCheckpoint} returns: the flat state dict and the rest of the checkpoint. */
export type TorchCheckpoint = StateDict;

/** Options of {@link readTorchCheckpoint}. */
export interface TorchReadOptions {
  /** Top-level key of the nested state dict to use (`""` = the whole object). */
  select?: string;
  /** Nested state-dict keys to try first, in order. */
  prefer?: readonly string[];
}

const isIndex = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;

/**
 * `torch._utils._rebuild_tensor_v2` without the autograd parts: the
 * elements of `storage` at `offset + Σ index·stride`, as a contiguous
 * tensor of shape `size`.
 *
 * @example
 * ```ts
 * const s = new TorchStorage("0", "float32", new Float32Array([0, 1, 2, 3, 4, 5]));
 * rebuildTensor(s, 0, [3, 2], [1, 3]).data; // Float32Array [0, 3, 1, 4, 2, 5] (a transpose)
 * ```
 */
export function rebuildTensor(
  storage: TorchStorage,
  offset: unknown,
  size: unknown,
  stride: unknown,
  source = "<checkpoint>",
): Tensor {
  const fail = (msg: string) => new UsageError(`${source}: storage '${storage.key}': ${msg}`);
  if (!isIndex(offset)) throw fail(`bad storage offset ${offset}`);
  if (!Array.isArray(size) || !size.every(isIndex)) throw fail(`bad tensor size ${describeValue(size)}`);
  if (!Array.isArray(stride) || stride.length !== size.length || !stride.every(isIndex)) {
    throw fail(`bad stride ${describeValue(stride)} for size [${size}]`);
  }
  const n = sizeOf(size);
  const shape = [...size] as number[];
  if (n === 0) return zeros(storage.dtype, shape);
  let last = offset;
  for (let d = 0; d < size.length; d++) last += (size[d] - 1) * stride[d];
  if (last >= storage.data.length) {
    throw fail(
      `tensor [${size}] with offset ${offset} and stride [${stride}] reaches element ${last} ` +
        `of a storage of ${storage.data.length} elements`,
    );
  }
  let contiguous = true;
  for (let d = size.length - 1, expect = 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expect) contiguous = false;
    expect *= size[d];
  }
  if (contiguous) return { dtype: storage.dtype, shape, data: storage.data.subarray(offset, offset + n) };
  const bytes = n * BYTES_PER_ELEMENT[storage.dtype];
  if (bytes > storage.data.byteLength && bytes > BUDGETS.expandBytes) {
    throw overBudget(
      source,
      `storage '${storage.key}' (${storage.data.byteLength} bytes) expanded by stride [${stride}] to a ` +
        `tensor [${size}] of ${bytes} bytes`,
      "expandBytes",
    );
  }
  const out = zeros(storage.dtype, shape);
  const src = storage.data as unknown as ArrayLike<unknown>, dst = out.data as unknown as unknown[];
  const idx = new Array<number>(size.length).fill(0);
  for (let i = 0, p = offset; i < n; i++) {
    dst[i] = src[p];
    for (let d = size.length - 1; d >= 0; d--) {
      p += stride[d];
      if (++idx[d] < size[d]) break;
      p -= stride[d] * size[d];
      idx[d] = 0;
    }
  }
  return out;
}

const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/**
 * Unpickles a torch zip checkpoint into its object graph (dicts are Maps,
 * tensors are {@link Tensor}s).
 *
 * @example
 * ```ts
 * const obj = unpickleTorch(Deno.readFileSync("last.ckpt"), "last.ckpt") as Map<string, unknown>;
 * obj.get("epoch");
 * ```
 */
export function unpickleTorch(bytes: Uint8Array, source = "<checkpoint>"): unknown {
  if (!isZip(bytes)) {
    if (LEGACY_MAGIC.every((b, i) => bytes[i] === b)) {
      throw new UsageError(
        `${source} uses the legacy (pre-1.6, non-zip) torch serialization, which tok1d does not read. ` +
          `Re-save it with torch>=1.6: torch.save(torch.load(path, map_location="cpu"), new_path, ` +
          `_use_new_zipfile_serialization=True)`,
      );
    }
    throw new UsageError(`${source} is not a torch checkpoint (expected the zip archive torch.save writes)`);
  }
  const entries = readZip(bytes, source);
  const pkl = [...entries.keys()].find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (!pkl) {
    throw new UsageError(`${source}: zip archive without <archive>/data.pkl; not a torch.save checkpoint`);
  }
  const prefix = pkl.slice(0, -"data.pkl".length);
  const order = entries.get(`${prefix}byteorder`);
  if (order && new TextDecoder().decode(zipEntryData(bytes, order, source)).trim() !== "little") {
    throw new UsageError(`${source}: big-endian checkpoints are not supported`);
  }
  const storages = new Map<string, TorchStorage>();
  const tally = new InflateTally();
  const persistentLoad = (pid: unknown) => {
    if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length < 5) {
      throw new UsageError(`${source}: unsupported persistent id ${describeValue(pid)}`);
    }
    const [, cls, key, , numel] = pid;
    const dtype = cls instanceof PyGlobal && cls.module === "torch" ? STORAGE_DTYPES[cls.name] : undefined;
    if (!dtype) {
      const name = cls instanceof PyGlobal ? cls.qualified : String(cls);
      throw new UsageError(`${source}: unsupported storage type ${name}`);
    }
    if (typeof key !== "string" || !isIndex(numel)) throw new UsageError(`${source}: malformed storage id`);
    const cached = storages.get(key);
    if (cached) return cached;
    const entry = entries.get(`${prefix}data/${key}`);
    if (!entry) throw new UsageError(`${source}: storage '${key}' is missing (${prefix}data/${key})`);
    const raw = zipEntryData(bytes, entry, source, tally);
    const nbytes = numel * BYTES_PER_ELEMENT[dtype];
    if (raw.byteLength < nbytes) {
      throw new UsageError(`${source}: storage '${key}' has ${raw.byteLength} bytes, ${nbytes} expected`);
    }
    const storage = new TorchStorage(key, dtype, viewAs(dtype, raw.subarray(0, nbytes)));
    storages.set(key, storage);
    return storage;
  };
  const reduce = (fn: PyGlobal, args: unknown[]) => {
    const q = fn.qualified;
    if (q === "torch._utils._rebuild_tensor_v2") {
      if (!(args[0] instanceof TorchStorage)) throw new UsageError(`${source}: tensor without a storage`);
      return rebuildTensor(args[0], args[1], args[2], args[3], source);
    }
    if (q === "torch._utils._rebuild_parameter" || q === "torch._utils._rebuild_parameter_with_state") {
      if (!isTensor(args[0])) throw new UsageError(`${source}: parameter without a tensor`);
      return args[0];
    }
    return undefined;
  };
  return unpickle(zipEntryData(bytes, entries.get(pkl)!, source, tally), { source, persistentLoad, reduce });
}

/**
 * Reads a torch checkpoint from bytes and returns its flat state dict (see
 * {@link readTorchCheckpoint}).
 *
 * @example
 * ```ts
 * const { tensors } = parseTorchCheckpoint(Deno.readFileSync("upload.pth"), "upload.pth");
 * ```
 */
export function parseTorchCheckpoint(
  bytes: Uint8Array,
  source = "<checkpoint>",
  opts: TorchReadOptions = {},
): TorchCheckpoint {
  return selectStateDict(unpickleTorch(bytes, source), { source, select: opts.select, prefer: opts.prefer });
}

/**
 * Reads a `.bin`/`.pth`/`.pt`/`.ckpt` file written by `torch.save`. A
 * training checkpoint's nested state dict (`state_dict`, `model`, `ema`,
 * `module`, `params`, or `select`) is used; nested dicts become dotted keys.
 *
 * @example
 * ```ts
 * const { tensors, extra } = readTorchCheckpoint("last.ckpt", { select: "ema" });
 * extra.get("epoch");
 * ```
 */
export function readTorchCheckpoint(path: string, opts: TorchReadOptions = {}): TorchCheckpoint {
  return parseTorchCheckpoint(readBytes(path, "checkpoint"), path, opts);
}
