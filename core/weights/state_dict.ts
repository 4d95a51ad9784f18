/**
 * From an unpickled (or JSON/msgpack-decoded) checkpoint object to a flat
 * state dict: picks the nested state dict of a training checkpoint
 * (`state_dict`, `model`, `ema`, `module`, `params`, or the one `select`
 * names) and flattens nested dicts and lists into dotted keys
 * (`{"encoder": {"ln": {"weight": t}}}` → `encoder.ln.weight`). Everything
 * that is not a tensor is handed back as `extra`.
 *
 * @example
 * ```ts
 * import { selectStateDict } from "./state_dict.ts";
 * const w = { dtype: "float32", shape: [1], data: new Float32Array([1]) } as const;
 * const { tensors, extra } = selectStateDict(new Map<string, unknown>([["epoch", 3], ["model", { w }]]));
 * // tensors: Map { "w" => w }, extra: Map { "epoch" => 3 }
 * ```
 *
 * @module
 */
import { BYTES_PER_ELEMENT, type Tensor } from "../tensor.ts";
import { UsageError } from "../errors.ts";

/** Keys under which training checkpoints keep the model's state dict, in order of preference. */
export const NESTED_STATE_DICT_KEYS: readonly string[] = ["state_dict", "model", "ema", "module", "params"];

/** A flat state dict and the non-tensor rest of the checkpoint. */
export interface StateDict {
  tensors: Map<string, Tensor>;
  /** Top-level entries other than the chosen state dict, and non-tensor values found inside it (dotted keys). */
  extra: Map<string, unknown>;
}

/**
 * True for a tok1d {@link Tensor}: `{ dtype, shape, data }` with a typed array.
 *
 * @example
 * ```ts
 * isTensor({ dtype: "int8", shape: [0], data: new Int8Array(0) }); // true
 * ```
 */
export function isTensor(x: unknown): x is Tensor {
  if (typeof x !== "object" || x === null) return false;
  const t = x as Record<string, unknown>;
  return typeof t.dtype === "string" && Object.hasOwn(BYTES_PER_ELEMENT, t.dtype) && Array.isArray(t.shape) &&
    ArrayBuffer.isView(t.data);
}

const MAX_DEPTH = 1000;

function isDict(x: unknown): x is Map<unknown, unknown> | Record<string, unknown> {
  if (x instanceof Map) return true;
  return typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype && !isTensor(x);
}

function entriesOf(x: Map<unknown, unknown> | Record<string, unknown> | unknown[]): [string, unknown][] {
  if (x instanceof Map) return [...x].map(([k, v]) => [String(k), v]);
  if (Array.isArray(x)) return x.map((v, i) => [String(i), v]);
  return Object.entries(x);
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return "None";
  if (Array.isArray(x)) return "a list";
  if (isTensor(x)) return "a single tensor";
  return `a ${typeof x === "object" ? (x.constructor?.name ?? "object") : typeof x}`;
}

/**
 * Flattens nested dicts (Map or plain object) and lists of tensors into
 * dotted keys. Non-tensor leaves go to `extra`; a cycle or two paths giving
 * the same key is a {@link UsageError}.
 *
 * @example
 * ```ts
 * const w = { dtype: "float32" as const, shape: [1], data: new Float32Array([1]) };
 * flattenStateDict(new Map([["blocks", [{ w }, { w }]]])).tensors.keys(); // "blocks.0.w", "blocks.1.w"
 * ```
 */
export function flattenStateDict(obj: unknown, source = "<checkpoint>", prefix = ""): StateDict {
  const out: StateDict = { tensors: new Map(), extra: new Map() };
  const open = new Set<unknown>();
  const walk = (x: unknown, key: string, depth = 0) => {
    if (isTensor(x)) {
      if (out.tensors.has(key)) throw new UsageError(`${source}: two entries flatten to the key '${key}'`);
      out.tensors.set(key, x);
      return;
    }
    const container = isDict(x) || (Array.isArray(x) && x.some((v) => isTensor(v) || isDict(v)));
    if (!container) {
      out.extra.set(key, x);
      return;
    }
    if (open.has(x)) throw new UsageError(`${source}: the checkpoint refers to itself at '${key}'`);
    if (depth > MAX_DEPTH) {
      throw new UsageError(`${source}: dicts nested deeper than ${MAX_DEPTH} at '${key}'`);
    }
    open.add(x);
    for (const [k, v] of entriesOf(x as Map<unknown, unknown>)) walk(v, key ? `${key}.${k}` : k, depth + 1);
    open.delete(x);
  };
  walk(obj, prefix);
  return out;
}

/**
 * Picks the state dict of a checkpoint object and flattens it. With
 * `select` the nested dict under that top-level key is used (`""` means
 * the whole object); otherwise the first of {@link NESTED_STATE_DICT_KEYS}
 * that holds tensors (after the keys in `prefer`), else the whole object.
 *
 * @example
 * ```ts
 * const w = { dtype: "float32" as const, shape: [1], data: new Float32Array([1]) };
 * const obj = new Map([["model", { w }], ["ema", { w }]]);
 * const { tensors } = selectStateDict(obj, { source: "last.ckpt", select: "ema" });
 * ```
 */
export function selectStateDict(
  obj: unknown,
  opts: { source?: string; select?: string; prefer?: readonly string[] } = {},
): StateDict {
  const source = opts.source ?? "<checkpoint>";
  if (!isDict(obj)) {
    throw new UsageError(`${source}: the checkpoint holds ${describe(obj)}, not a dict of tensors`);
  }
  const top = entriesOf(obj);
  const candidates = top.filter(([, v]) => isDict(v)).map(([k]) => k);
  let chosen: string | undefined;
  let result: StateDict | undefined;
  if (opts.select !== undefined && opts.select !== "") {
    chosen = opts.select;
    const hit = top.find(([k]) => k === chosen);
    if (!hit || !isDict(hit[1])) {
      throw new UsageError(
        `${source}: no nested state dict '${chosen}' (dict entries: ${candidates.join(", ") || "none"})`,
      );
    }
    result = flattenStateDict(hit[1], source);
  } else if (opts.select === undefined) {
    for (const key of [...(opts.prefer ?? []), ...NESTED_STATE_DICT_KEYS]) {
      const hit = top.find(([k, v]) => k === key && isDict(v));
      const flat = hit && flattenStateDict(hit[1], source);
      if (flat && flat.tensors.size > 0) {
        [chosen, result] = [key, flat];
        break;
      }
    }
  }
  if (!result) return flattenStateDict(obj, source);
  for (const [k, v] of top) if (k !== chosen) result.extra.set(k, v);
  return result;
}
