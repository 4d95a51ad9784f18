/**
 * What a reader spec names, and the stream of samples it holds:
 *
 * - a brace pattern (`shards/imagenet-train-{000000..000320}.tar`), a single
 *   `.tar`, or a folder of `.tar` shards → webdataset samples (image field +
 *   optional `cls`), shard by shard;
 * - a folder whose entries are class folders (ImageNet style) → labelled
 *   files, classes indexed in sorted order;
 * - any other folder → its image files (recursively), unlabelled.
 *
 * A `K/N` slice takes a contiguous block of shards (or of files); when there
 * are fewer shards than parts, every part reads all shards and keeps every
 * N-th sample instead.
 *
 * @example
 * ```ts
 * import { resolveSource, sourceItems } from "./sources.ts";
 * const src = resolveSource("shards/val");
 * for await (const item of sourceItems(src, {}).items) console.log(item.key, item.label);
 * ```
 * @module
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { UsageError } from "../errors.ts";
import type { Rng } from "../init.ts";
import { expandBraces, hasBraces } from "./brace.ts";
import { readManifestIfAny } from "./manifest.ts";
import { scanClassFolders, walkFiles } from "./scan.ts";
import { type ShardSlice, sliceRange, WHOLE } from "./shard_slice.ts";
import { permutation } from "./shuffle.ts";
import { readTar } from "./tar_read.ts";
import { groupSamples, sampleClass, sampleImage } from "./webdataset.ts";

/** Image file names the folder readers take (torchvision's IMG_EXTENSIONS that tok1d decodes). */
export const IMAGE_NAME = /\.(jpe?g|png|webp)$/i;

/** One sample to decode. */
export interface SourceItem {
  key: string;
  label?: number;
  /** Bytes (from a shard) or a path (from a folder). */
  source: string | Uint8Array;
  /** Where it came from, for messages. */
  name: string;
}

/** A resolved spec. */
export interface ResolvedSource {
  kind: "shards" | "tree" | "folder";
  spec: string;
  shards?: string[];
  files?: { path: string; rel: string; label?: number }[];
  classes?: string[];
  /** Samples in the whole source, when known without reading it (folders; shards with a manifest). */
  count?: number;
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** Sample count of `shards` from the manifest beside them, if every shard is listed there. */
function manifestCount(shards: string[]): number | undefined {
  const byDir = new Map<string, Map<string, number>>();
  let total = 0;
  for (const s of shards) {
    const dir = dirname(s);
    if (!byDir.has(dir)) {
      const m = readManifestIfAny(dir, "manifest.json");
      byDir.set(dir, new Map((m?.shards ?? []).map((r) => [r.name, r.samples])));
    }
    const n = byDir.get(dir)!.get(basename(s));
    if (n === undefined) return undefined;
    total += n;
  }
  return total;
}

/** Resolves a spec; a spec that names nothing readable is a UsageError naming it. */
export function resolveSource(spec: string): ResolvedSource {
  if (hasBraces(spec) || (spec.endsWith(".tar") && !isDir(spec))) {
    const shards = expandBraces(spec);
    const missing = shards.find((s) => !existsSync(s));
    if (missing) throw new UsageError(`${spec}: shard ${missing} does not exist`);
    return { kind: "shards", spec, shards, count: manifestCount(shards) };
  }
  if (!isDir(spec)) throw new UsageError(`${spec}: not a folder, a .tar file or a brace pattern of shards`);
  const entries = readdirSync(spec).sort();
  const tars = entries.filter((e) => e.endsWith(".tar")).map((e) => join(spec, e));
  if (tars.length) return { kind: "shards", spec, shards: tars, count: manifestCount(tars) };
  const hasImages = entries.some((e) => IMAGE_NAME.test(e) && !isDir(join(spec, e)));
  const hasFolders = entries.some((e) => isDir(join(spec, e)));
  if (hasFolders && !hasImages) {
    const scan = scanClassFolders(spec);
    const index = new Map(scan.classes.map((c, i) => [c, i]));
    const files = scan.files.filter((f) => !f.error && IMAGE_NAME.test(f.rel))
      .map((f) => ({ path: f.path, rel: f.rel, label: index.get(f.className!) }));
    return { kind: "tree", spec, files, classes: scan.classes, count: files.length };
  }
  const files = walkFiles(spec).filter((f) => !f.error && IMAGE_NAME.test(f.rel)).map((f) => ({
    path: f.path,
    rel: f.rel,
  }));
  if (!files.length) {
    throw new UsageError(`${spec}: no .jpg/.jpeg/.png/.webp images, class folders or .tar shards`);
  }
  return { kind: "folder", spec, files, count: files.length };
}

/** Options of {@link sourceItems}. */
export interface ItemOptions {
  slice?: ShardSlice;
  /** Shuffles the file order (folders) or the shard order (shards). */
  rng?: Rng;
  /** Told about members and samples that are skipped. */
  onProblem?: (message: string) => void;
}

/** The samples of this slice, and how many there are when that is known up front. */
export function sourceItems(
  src: ResolvedSource,
  o: ItemOptions,
): { count?: number; items: AsyncIterable<SourceItem> | Iterable<SourceItem> } {
  const slice = o.slice ?? WHOLE;
  const warn = o.onProblem ?? (() => {});
  if (src.files) {
    const [a, b] = sliceRange(src.files.length, slice);
    const files = src.files.slice(a, b);
    const order = o.rng ? permutation(files.length, o.rng) : files.map((_, i) => i);
    const items = order.map((i): SourceItem => ({
      key: files[i].rel.replace(/\.[^./]*$/, ""),
      label: files[i].label,
      source: files[i].path,
      name: files[i].path,
    }));
    return { count: items.length, items };
  }
  const all = src.shards!;
  const byShard = all.length >= slice.count;
  const [a, b] = byShard ? sliceRange(all.length, slice) : [0, all.length];
  const shards = all.slice(a, b);
  const order = o.rng ? permutation(shards.length, o.rng).map((i) => shards[i]) : shards;
  const count = byShard
    ? (shards.length === all.length ? src.count : manifestCount(shards))
    : src.count === undefined
    ? undefined
    : Math.ceil((src.count - slice.index) / slice.count);
  async function* items(): AsyncGenerator<SourceItem> {
    let ordinal = 0;
    for (const shard of order) {
      const samples = groupSamples(
        readTar(shard),
        (p) => warn(`${shard}: member '${p.name}' skipped: ${p.reason}`),
      );
      for await (const s of samples) {
        const image = sampleImage(s);
        if (!image) {
          warn(`${shard}: sample '${s.key}' has no jpg/png/jpeg/webp field; skipped`);
          continue;
        }
        if (!byShard && ordinal++ % slice.count !== slice.index) continue;
        yield { key: s.key, label: sampleClass(s), source: image, name: `${shard}:${s.key}` };
      }
    }
  }
  return { count, items: items() };
}
