/**
 * `tok1d convert imagefolder`: an ImageNet-style tree → webdataset shards.
 *
 * The root is either a tree of splits (`<root>/{train,val,...}/<class>/<file>`:
 * each split goes to `<out>/<split>/<prefix>-<split>-NNNNNN.tar`) or one split
 * (`<root>/<class>/<file>` → `<out>/<prefix>-NNNNNN.tar`). Class indices come
 * from the sorted class folder names (the ImageNet convention), taken over
 * every split so that train and val agree; with a subset, from the sorted
 * subset list. Each sample is `<key>.<jpg|png|webp>` + `<key>.cls`.
 *
 * @example
 * ```ts
 * import { convertImageFolder } from "./convert_imagefolder.ts";
 * const results = await convertImageFolder({
 *   root: "/data/imagenet", out: "/data/imagenet_wds", mode: { kind: "copy" }, subset: "imagenet100",
 *   command: ["convert", "imagefolder", "/data/imagenet"],
 * });
 * for (const r of results) console.log(r.split, r.manifest.counts);
 * ```
 * @module
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../errors.ts";
import { type ConvertInput, convertToShards } from "./convert.ts";
import type { Manifest } from "./manifest.ts";
import type { PrepareMode } from "./prepare.ts";
import { scanClassFolders, subfolders } from "./scan.ts";
import type { ShardSlice } from "./shard_slice.ts";

/** Split folder names recognised when `splits` is not given. */
export const SPLIT_NAMES = ["train", "val", "validation", "test"];
/** Subsets shipped with tok1d (`data/subsets/<name>.txt`). */
export const SUBSETS = ["imagenet100"];

/** Options of {@link convertImageFolder}. */
export interface ImageFolderOptions {
  root: string;
  out: string;
  mode: PrepareMode;
  command: string[];
  /** Shard name prefix (default: the root folder's name). */
  prefix?: string;
  /** Splits to convert (default: every train/val/validation/test subfolder, or the root as one split). */
  splits?: string[];
  /** Samples per shard (default 4000 for train-like splits, 1000 for val/test, as upstream). */
  shardSize?: number;
  /** A shipped subset name (imagenet100) or a file with one class name per line. */
  subset?: string;
  mtime?: number;
  slice?: ShardSlice;
  overwrite?: boolean;
  concurrency?: number;
  onProgress?: (split: string, done: number, total: number) => void;
}

/** The result for one split. */
export interface SplitResult {
  split: string;
  out: string;
  manifest: Manifest;
}

/** The class list of a subset: a shipped name or a file; errors name `--subset`. */
export function loadSubset(spec: string): { name: string; classes: string[] } {
  const shipped = SUBSETS.includes(spec)
    ? fileURLToPath(new URL(`../../data/subsets/${spec}.txt`, import.meta.url))
    : undefined;
  const path = shipped ?? spec;
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UsageError(`--subset ${spec}: not a shipped subset (${SUBSETS.join(", ")}) nor a file`);
  }
  const classes = readFileSync(path, "utf8").split(/\r?\n/).map((s) => s.trim()).filter((s) =>
    s && !s.startsWith("#")
  );
  if (!classes.length) throw new UsageError(`--subset ${spec}: the list is empty`);
  if (new Set(classes).size !== classes.length) {
    throw new UsageError(`--subset ${spec}: a class is listed twice`);
  }
  return { name: shipped ? spec : basename(spec), classes };
}

/** Split folders of `root`: the given ones (checked), else the recognised names present, else none. */
export function findSplits(root: string, given?: string[]): string[] | undefined {
  const present = subfolders(root);
  if (given?.length) {
    for (const s of given) {
      if (!present.includes(s)) throw new UsageError(`--split ${s}: no folder ${join(root, s)}`);
    }
    return given;
  }
  const found = SPLIT_NAMES.filter((s) => present.includes(s));
  return found.length ? found : undefined;
}

/** Default samples per shard: upstream's 4000 for training splits, 1000 for evaluation splits. */
export function defaultShardSize(split: string): number {
  return /^(val|validation|test)/i.test(split) ? 1000 : 4000;
}

function safePrefix(name: string): string {
  return name.replace(/[^\w.+-]+/g, "_").replace(/^[._]+/, "") || "dataset";
}

/**
 * Converts every selected split of an image tree; returns one manifest per split.
 */
export async function convertImageFolder(o: ImageFolderOptions): Promise<SplitResult[]> {
  if (!existsSync(o.root) || !statSync(o.root).isDirectory()) {
    throw new UsageError(`${o.root}: no such folder (expected <root>/<split>/<class>/<file>)`);
  }
  const splits = findSplits(o.root, o.splits);
  const prefix = o.prefix ?? safePrefix(basename(resolve(o.root)));
  const splitDirs = splits ? splits.map((s) => join(o.root, s)) : [o.root];
  const subset = o.subset ? loadSubset(o.subset) : undefined;
  // Indices over the union of class folders of every split present, so that train and val agree.
  const everySplit = splits ? (findSplits(o.root) ?? splits).map((s) => join(o.root, s)) : [o.root];
  const present = [...new Set(everySplit.flatMap((d) => (existsSync(d) ? subfolders(d) : [])))].sort();
  const classNames = subset ? [...subset.classes].sort() : present;
  const index = new Map(classNames.map((c, i) => [c, i]));
  if (!classNames.length) throw new UsageError(`${o.root}: no class folders found`);

  const results: SplitResult[] = [];
  for (const [k, dir] of splitDirs.entries()) {
    const split = splits ? splits[k] : "";
    const scan = scanClassFolders(dir, subset ? (c) => index.has(c) : undefined);
    const inputs: ConvertInput[] = scan.files.map((f) => {
      const input: ConvertInput = { rel: f.rel, path: f.path };
      if (f.className !== undefined) {
        input.className = f.className;
        input.cls = index.get(f.className);
      }
      if (f.error) input.error = f.error;
      return input;
    });
    const out = splits ? join(o.out, split) : o.out;
    const source: Record<string, unknown> = { kind: "imagefolder", split: split || basename(resolve(dir)) };
    if (subset) {
      source.subset = subset.name;
      const missing = subset.classes.filter((c) => !scan.classes.includes(c)).sort();
      if (missing.length) source.missingClasses = missing;
    }
    const manifest = await convertToShards({
      out,
      prefix: split ? `${prefix}-${split}` : prefix,
      shardSize: o.shardSize ?? defaultShardSize(split || basename(resolve(dir))),
      mode: o.mode,
      inputs,
      source,
      filtered: scan.excluded ? { "class not in subset": scan.excluded } : {},
      classNames,
      command: o.command,
      mtime: o.mtime,
      slice: o.slice,
      overwrite: o.overwrite,
      concurrency: o.concurrency,
      onProgress: o.onProgress && ((d, t) => o.onProgress!(split || prefix, d, t)),
    });
    results.push({ split: split || basename(resolve(dir)), out, manifest });
  }
  return results;
}
