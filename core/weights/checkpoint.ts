/**
 * One entry point for the checkpoints users bring: a Hugging Face snapshot
 * folder (`config.json` + `model.safetensors`, a sharded
 * `model.safetensors.index.json`, or `pytorch_model.bin[.index.json]`) or a
 * single `.safetensors` / `.bin` / `.pth` / `.pt` / `.ckpt` file (torch's zip
 * format or the legacy pre-1.6 one), or a tux/Flax msgpack `params` file
 * (ElasticTok; layers unstacked, flax_params.ts); plus the
 * key check that compares a checkpoint with the parameters a graph expects
 * and reports missing, unexpected and misshaped keys.
 *
 * @example
 * ```ts
 * import { assertKeys, loadCheckpoint } from "./checkpoint.ts";
 * const ckpt = loadCheckpoint("snapshots/titok-s128");
 * assertKeys(new Map([["encoder.ln_pre.weight", [768]]]), ckpt.tensors, { source: ckpt.source });
 * ```
 *
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import type { Tensor } from "../tensor.ts";
import { UsageError } from "../errors.ts";
import { readBytes } from "./bytes.ts";
import { registerFileBytes } from "./file_spans.ts";
import { readSafetensors } from "./safetensors.ts";
import { selectStateDict } from "./state_dict.ts";
import { isLegacyTorch, unpickleLegacyTorch } from "./torch_legacy.ts";
import { parseTorchCheckpoint } from "./torch_zip.ts";
import { loadMsgpackParams } from "./flax_params.ts";

/** A loaded checkpoint. */
export interface Checkpoint {
  /** Flat state dict, upstream key names. */
  tensors: Map<string, Tensor>;
  /** Parsed `config.json` of a snapshot folder. */
  config?: unknown;
  /** The file or folder the tensors came from (absolute). */
  source: string;
  /** Non-tensor content of a torch checkpoint (epoch, optimizer, ...). */
  extra?: Map<string, unknown>;
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /** For torch checkpoints: the top-level key holding the state dict (`""` = the whole object). */
  select?: string;
  /** Nested state-dict keys to try first, in order (ALIT: `ema` before `model`). */
  prefer?: readonly string[];
}

/** Weight files looked for in a snapshot folder, in order. */
export const SNAPSHOT_FILES: readonly string[] = [
  "model.safetensors",
  "model.safetensors.index.json",
  "pytorch_model.bin",
  "pytorch_model.bin.index.json",
  "params",
];
const TORCH_EXTENSIONS = [".bin", ".pth", ".pt", ".ckpt"];
/** tux streaming msgpack checkpoints: `params`, `streaming_params`, `streaming_train_state`, `*.msgpack`. */
const isMsgpackParams = (name: string) =>
  name === "params" || name.startsWith("streaming_") || name.endsWith(".params") || name.endsWith(".msgpack");

function readJson(path: string, what: string): unknown {
  const text = new TextDecoder().decode(readBytes(path, what));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} ${path} is not valid JSON (${(e as Error).message})`);
  }
}

function loadFile(path: string, opts: LoadCheckpointOptions): Omit<Checkpoint, "source" | "config"> {
  const name = basename(path).toLowerCase();
  if (name.endsWith(".index.json")) return loadSharded(path, opts);
  const ext = extname(name);
  if (ext === ".safetensors") return { tensors: readSafetensors(path).tensors };
  if (isMsgpackParams(name)) return { tensors: loadMsgpackParams(path) };
  if (TORCH_EXTENSIONS.includes(ext)) {
    const bytes = readBytes(path, "checkpoint");
    // Tensors stored uncompressed are views of these bytes: ORT may read them from the file.
    registerFileBytes(bytes, path);
    if (!isLegacyTorch(bytes)) return parseTorchCheckpoint(bytes, path, opts);
    return selectStateDict(unpickleLegacyTorch(bytes, path), {
      source: path,
      select: opts.select,
      prefer: opts.prefer,
    });
  }
  throw new UsageError(
    `unsupported checkpoint file ${path}: expected .safetensors, ${TORCH_EXTENSIONS.join(", ")}, ` +
      `a msgpack params file, a *.index.json shard index or a snapshot folder`,
  );
}

/** A sharded checkpoint: `{"weight_map": {key: shard file}}` next to its shards. */
function loadSharded(indexPath: string, opts: LoadCheckpointOptions): Omit<Checkpoint, "source" | "config"> {
  const index = readJson(indexPath, "shard index") as { weight_map?: unknown };
  const map = index?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw new UsageError(`shard index ${indexPath} has no "weight_map" object`);
  }
  const byShard = new Map<string, string[]>();
  for (const [key, shard] of Object.entries(map)) {
    if (typeof shard !== "string" || shard !== basename(shard) || shard === "..") {
      throw new UsageError(
        `shard index ${indexPath}: key '${key}' names a bad shard file ${JSON.stringify(shard)}`,
      );
    }
    byShard.set(shard, [...(byShard.get(shard) ?? []), key]);
  }
  const tensors = new Map<string, Tensor>();
  for (const [shard, keys] of byShard) {
    const path = join(dirname(indexPath), shard);
    if (!existsSync(path)) throw new UsageError(`shard ${path} listed in ${indexPath} not found`);
    const part = loadFile(path, opts).tensors;
    for (const key of keys) {
      if (!part.has(key)) {
        throw new UsageError(`shard ${path} lacks '${key}', which ${indexPath} places there`);
      }
    }
    for (const [key, t] of part) {
      if (tensors.has(key)) throw new UsageError(`key '${key}' appears in two shards of ${indexPath}`);
      tensors.set(key, t);
    }
  }
  return { tensors };
}

/**
 * Loads a checkpoint from a snapshot folder or a single file. A missing path
 * or a folder without weights is a {@link UsageError} naming the path and
 * what was looked for.
 *
 * @example
 * ```ts
 * const { tensors, config } = loadCheckpoint("hf/TiTok-S-128"); // config.json + model.safetensors
 * const { tensors: sd } = loadCheckpoint("tokenizer_titok_s128.bin");
 * ```
 */
export function loadCheckpoint(path: string, opts: LoadCheckpointOptions = {}): Checkpoint {
  const source = resolve(path);
  let isDir: boolean;
  try {
    isDir = statSync(source).isDirectory();
  } catch {
    throw new UsageError(
      `checkpoint not found: ${path} (expected a snapshot folder with config.json and ` +
        `${SNAPSHOT_FILES.join(" / ")}, or a .safetensors, ${TORCH_EXTENSIONS.join(", ")} file)`,
    );
  }
  if (!isDir) return { source, ...loadFile(source, opts) };
  const configPath = join(source, "config.json");
  const config = existsSync(configPath) ? readJson(configPath, "config") : undefined;
  const weights = SNAPSHOT_FILES.find((f) => existsSync(join(source, f)));
  if (!weights) {
    throw new UsageError(`no weights in folder ${path}: looked for ${SNAPSHOT_FILES.join(", ")}`);
  }
  return { source: join(source, weights), config, ...loadFile(join(source, weights), opts) };
}

/** How a checkpoint's keys differ from the parameters a model expects. */
export interface KeyReport {
  /** Expected keys absent from the checkpoint, with the expected shape. */
  missing: { key: string; shape: number[] }[];
  /** Checkpoint keys the model does not use (minus those `allowUnexpected` accepts). */
  unexpected: { key: string; shape: number[] }[];
  /** Keys present in both with different shapes. */
  misshaped: { key: string; expected: number[]; got: number[] }[];
}

/** Options of {@link compareKeys} and {@link assertKeys}. */
export interface KeyOptions {
  /** Return true for checkpoint keys that may be ignored (e.g. `(k) => k.startsWith("loss.")`). */
  allowUnexpected?: (key: string) => boolean;
  /** Names the checkpoint in the error message. */
  source?: string;
}

/**
 * Compares expected parameter shapes with a checkpoint's tensors.
 *
 * @example
 * ```ts
 * const r = compareKeys(new Map([["w", [2]]]), new Map()); // r.missing = [{ key: "w", shape: [2] }]
 * ```
 */
export function compareKeys(
  expected: Map<string, number[]>,
  got: Map<string, Tensor>,
  opts: KeyOptions = {},
): KeyReport {
  const report: KeyReport = { missing: [], unexpected: [], misshaped: [] };
  for (const [key, shape] of expected) {
    const t = got.get(key);
    if (!t) report.missing.push({ key, shape });
    else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      report.misshaped.push({ key, expected: shape, got: t.shape });
    }
  }
  for (const [key, t] of got) {
    if (!expected.has(key) && !opts.allowUnexpected?.(key)) report.unexpected.push({ key, shape: t.shape });
  }
  return report;
}

const dims = (shape: number[]) => `[${shape.join(", ")}]`;
const keys = (n: number) => `${n} key${n === 1 ? "" : "s"}`;
const eg = <T>(items: T[], show: (x: T) => string) =>
  ` (e.g. ${items.slice(0, 5).map(show).join(", ")}${items.length > 5 ? ", ..." : ""})`;

/**
 * Throws a {@link UsageError} unless the checkpoint matches: the message
 * gives the count of missing, unexpected and misshaped keys with the first
 * five of each, name and shape.
 *
 * @example
 * ```ts
 * const ckpt = loadCheckpoint("ckpt.bin");
 * const shapes = new Map([["encoder.ln_pre.weight", [64]]]);
 * assertKeys(shapes, ckpt.tensors, { source: ckpt.source, allowUnexpected: (k) => k.endsWith(".num_batches_tracked") });
 * // UsageError: checkpoint ckpt.bin does not match the model: missing 1 key (e.g. encoder.ln_pre.weight [64])
 * ```
 */
export function assertKeys(
  expected: Map<string, number[]>,
  got: Map<string, Tensor>,
  opts: KeyOptions = {},
): void {
  const { missing, unexpected, misshaped } = compareKeys(expected, got, opts);
  const parts: string[] = [];
  if (missing.length) {
    parts.push(`missing ${keys(missing.length)}${eg(missing, (m) => `${m.key} ${dims(m.shape)}`)}`);
  }
  if (unexpected.length) {
    parts.push(`unexpected ${keys(unexpected.length)}${eg(unexpected, (u) => `${u.key} ${dims(u.shape)}`)}`);
  }
  if (misshaped.length) {
    parts.push(
      `misshaped ${keys(misshaped.length)}${
        eg(misshaped, (m) => `${m.key} ${dims(m.got)} in the checkpoint, ${dims(m.expected)} in the model`)
      }`,
    );
  }
  if (parts.length) {
    throw new UsageError(
      `checkpoint ${opts.source ?? ""}${opts.source ? " " : ""}does not match the model: ${parts.join("; ")}`,
    );
  }
}
