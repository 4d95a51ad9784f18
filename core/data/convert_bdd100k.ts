/**
 * `tok1d convert bdd100k`: BDD100K frames → webdataset shards, optionally
 * keeping only frames whose labels match a time of day, weather or scene (the
 * BDD-1D work trained on "daytime" + "clear").
 *
 * Layout found under the root, first match wins: `images/100k/<split>/`,
 * `100k/<split>/`, `<split>/` (splits train, val, test), or the root itself as
 * one folder of frames. Labels, per split: `--labels <file>` (one split), else
 * `labels/bdd100k_labels_images_<split>.json` (v1) or `labels/det_20/det_<split>.json`
 * (2020) under the root. Each sample is `<key>.jpg` + `<key>.json` with the
 * frame's name and, when labelled, its `weather`, `scene` and `timeofday`.
 *
 * @example
 * ```ts
 * import { convertBdd100k } from "./convert_bdd100k.ts";
 * await convertBdd100k({
 *   root: "/data/bdd100k", out: "/data/bdd_wds", mode: { kind: "copy" },
 *   filters: { timeofday: ["daytime"], weather: ["clear"] }, command: ["convert", "bdd100k"],
 * });
 * ```
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { UsageError } from "../errors.ts";
import { type ConvertInput, convertToShards } from "./convert.ts";
import { defaultShardSize, type SplitResult } from "./convert_imagefolder.ts";
import { streamJsonArray } from "./json_stream.ts";
import type { PrepareMode } from "./prepare.ts";
import { subfolders, walkFiles } from "./scan.ts";
import type { ShardSlice } from "./shard_slice.ts";

/** Frame attributes used for filtering. */
export const ATTRIBUTES = ["timeofday", "weather", "scene"] as const;
export type Attribute = typeof ATTRIBUTES[number];

/** Options of {@link convertBdd100k}. */
export interface Bdd100kOptions {
  root: string;
  out: string;
  mode: PrepareMode;
  command: string[];
  splits?: string[];
  /** Label file (only with a single split). */
  labels?: string;
  /** Allowed values per attribute, e.g. `{ timeofday: ["daytime"], weather: ["clear"] }`. */
  filters?: Partial<Record<Attribute, string[]>>;
  prefix?: string;
  shardSize?: number;
  mtime?: number;
  slice?: ShardSlice;
  overwrite?: boolean;
  concurrency?: number;
  onProgress?: (split: string, done: number, total: number) => void;
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** The folder holding the split folders, and the splits in it (or the root as a single split). */
export function findBddImages(root: string): { dir: string; splits?: string[] } {
  if (!isDir(root)) throw new UsageError(`${root}: no such folder (expected a BDD100K root)`);
  for (const dir of [join(root, "images", "100k"), join(root, "100k"), root]) {
    if (!isDir(dir)) continue;
    const splits = ["train", "val", "test"].filter((s) => subfolders(dir).includes(s));
    if (splits.length) return { dir, splits };
  }
  return { dir: root };
}

/** The label file of a split under the root, if one of the standard ones exists. */
export function findBddLabels(root: string, split: string): string | undefined {
  return [
    join(root, "labels", `bdd100k_labels_images_${split}.json`),
    join(root, "labels", "det_20", `det_${split}.json`),
  ].find((p) => existsSync(p));
}

/** Frame name → attributes, streamed from a label file. */
export async function readBddAttributes(path: string): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for await (const frame of streamJsonArray(path)) {
    const f = frame as { name?: unknown; attributes?: Record<string, unknown> };
    if (typeof f?.name !== "string") throw new UsageError(`${path}: a frame without a "name"`);
    const attrs: Record<string, string> = {};
    for (const a of ATTRIBUTES) {
      const v = f.attributes?.[a];
      if (typeof v === "string") attrs[a] = v;
    }
    out.set(basename(f.name), attrs);
  }
  return out;
}

const encoder = new TextEncoder();

/** Converts the selected BDD100K splits; returns one manifest per split. */
export async function convertBdd100k(o: Bdd100kOptions): Promise<SplitResult[]> {
  const found = findBddImages(o.root);
  let splits = found.splits;
  if (o.splits?.length) {
    for (const s of o.splits) {
      if (!found.splits?.includes(s)) throw new UsageError(`--split ${s}: no folder ${join(found.dir, s)}`);
    }
    splits = o.splits;
  }
  const filters = Object.fromEntries(
    Object.entries(o.filters ?? {}).filter(([, v]) => v && v.length),
  ) as Partial<
    Record<Attribute, string[]>
  >;
  const filtering = Object.keys(filters).length > 0;
  if (o.labels && (splits?.length ?? 1) > 1) {
    throw new UsageError(`--labels ${o.labels}: give one --split with it (label files are per split)`);
  }
  const results: SplitResult[] = [];
  for (const split of splits ?? [""]) {
    const dir = split ? join(found.dir, split) : found.dir;
    const name = split || basename(dir);
    const labelPath = o.labels ?? (split ? findBddLabels(o.root, split) : undefined);
    if (o.labels && !existsSync(o.labels)) throw new UsageError(`--labels ${o.labels}: no such file`);
    if (filtering && !labelPath) {
      throw new UsageError(
        `split ${name}: filters need labels, and none were found (looked for labels/bdd100k_labels_images_${name}.json ` +
          `and labels/det_20/det_${name}.json under ${o.root}); pass --labels`,
      );
    }
    const attrs = labelPath ? await readBddAttributes(labelPath) : undefined;
    const filtered: Record<string, number> = {};
    const inputs: ConvertInput[] = [];
    for (const f of walkFiles(dir)) {
      const frame = attrs?.get(basename(f.rel));
      if (filtering) {
        const reason = !frame
          ? "no label entry"
          : ATTRIBUTES.filter((a) => filters[a] && !filters[a]!.includes(frame[a])).map((a) =>
            `${a} ${frame[a]}`
          )[0];
        if (reason) {
          filtered[reason] = (filtered[reason] ?? 0) + 1;
          continue;
        }
      }
      const json = JSON.stringify({
        name: f.rel,
        ...Object.fromEntries(ATTRIBUTES.filter((a) => frame?.[a] !== undefined).map((a) => [a, frame![a]])),
      });
      inputs.push({ rel: f.rel, path: f.path, error: f.error, extra: [["json", encoder.encode(json)]] });
    }
    const out = split ? join(o.out, split) : o.out;
    const prefix = o.prefix ?? "bdd100k";
    const manifest = await convertToShards({
      out,
      prefix: split ? `${prefix}-${split}` : prefix,
      shardSize: o.shardSize ?? defaultShardSize(name),
      mode: o.mode,
      inputs,
      source: {
        kind: "bdd100k",
        split: name,
        ...(labelPath ? { labels: basename(labelPath) } : {}),
        filters,
      },
      filtered,
      command: o.command,
      mtime: o.mtime,
      slice: o.slice,
      overwrite: o.overwrite,
      concurrency: o.concurrency,
      onProgress: o.onProgress && ((d, t) => o.onProgress!(name, d, t)),
    });
    results.push({ split: name, out, manifest });
  }
  return results;
}
