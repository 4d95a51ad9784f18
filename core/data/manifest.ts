/**
 * The manifest beside a folder of shards (`manifest.json`): what went in, what
 * came out and what was skipped, so that a conversion can be audited, resumed
 * and merged. Counts always balance: per part and in total,
 * `input = written + skipped`. Nothing in it depends on the clock or the
 * machine, so an interrupted-and-resumed run writes the same bytes as an
 * uninterrupted one.
 *
 * A `--shard K/N` part writes `manifest.shard-K-of-N.json`;
 * {@link mergeManifests} joins the N parts into the manifest an unsplit run
 * would have written (apart from `commands`, which lists every part's).
 *
 * @example
 * ```ts
 * import { readManifest } from "./manifest.ts";
 * const m = readManifest("shards/train/manifest.json");
 * console.log(m.counts, m.shards.length, m.skipped.slice(0, 3));
 * ```
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { writeFileAtomic } from "../fs.ts";
import { type ShardSlice, sliceLabel } from "./shard_slice.ts";

/** One written shard. */
export interface ShardRecord {
  /** Shard number in the whole job (the NNNNNN of the name). */
  index: number;
  name: string;
  /** Positions [start, end) of the job's inputs that this shard covers. */
  inputs: [number, number];
  samples: number;
  skipped: number;
  bytes: number;
  sha256: string;
  /** Samples written per class name (labelled datasets). */
  classes?: Record<string, number>;
}

/** An input that was not written, and why. */
export interface SkippedInput {
  key: string;
  path: string;
  reason: string;
  class?: string;
}

/** Samples written and skipped for one class. */
export interface ClassCount {
  index: number;
  name: string;
  written: number;
  skipped: number;
}

/** What defines a conversion job: two runs may share an output folder only when these agree. */
export interface JobDescription {
  tool: { name: string; version: string };
  source: Record<string, unknown>;
  settings: Record<string, unknown>;
  /** The job's inputs, in order: how many, and a SHA-256 over their paths and labels. */
  inputs: { count: number; sha256: string };
  /** Files found and set aside before conversion (subset or label filters), by reason. */
  filtered: Record<string, number>;
  classNames?: string[];
  shardCount: number;
}

/** The manifest file. */
export interface Manifest extends JobDescription {
  format: "tok1d-webdataset-manifest";
  formatVersion: 1;
  /** Command lines that produced it (one per part). */
  commands: string[][];
  /** Which `--shard K/N` parts it covers. */
  parts: { count: number; done: number[] };
  complete: boolean;
  counts: { input: number; written: number; skipped: number };
  classes?: ClassCount[];
  shards: ShardRecord[];
  skipped: SkippedInput[];
}

const JOB_KEYS = ["tool", "source", "settings", "inputs", "filtered", "classNames", "shardCount"] as const;

/** File name of the manifest of a part (`manifest.json` for an unsplit run). */
export function manifestName(slice: ShardSlice): string {
  return slice.count === 1 ? "manifest.json" : `manifest.shard-${sliceLabel(slice)}.json`;
}

/** Differences between two job descriptions, as "key: a ≠ b" lines (empty when the same job). */
export function jobDifferences(a: JobDescription, b: JobDescription): string[] {
  const out: string[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    !!v && typeof v === "object" && !Array.isArray(v);
  for (const k of JOB_KEYS) {
    const x = a[k] as unknown, y = b[k] as unknown;
    if (isObject(x) && isObject(y)) {
      for (const sub of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
        const xs = JSON.stringify(x[sub]), ys = JSON.stringify(y[sub]);
        if (xs !== ys) out.push(`${k}.${sub}: ${clip(xs)} ≠ ${clip(ys)}`);
      }
    } else if (JSON.stringify(x) !== JSON.stringify(y)) {
      out.push(`${k}: ${clip(JSON.stringify(x))} ≠ ${clip(JSON.stringify(y))}`);
    }
  }
  return out;
}

function clip(s: string | undefined): string {
  return s === undefined ? "(none)" : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * A manifest from a job description and its shard records and skips:
 * counts, per-class totals, shards sorted by index, skips sorted by key.
 *
 * @example
 * ```ts
 * const m = buildManifest(job, { commands: [Deno.args], parts: { count: 1, done: [0] }, complete: true }, [], []);
 * ```
 */
export function buildManifest(
  job: JobDescription,
  run: { commands: string[][]; parts: { count: number; done: number[] }; complete: boolean },
  shards: ShardRecord[],
  skipped: SkippedInput[],
): Manifest {
  const sortedShards = [...shards].sort((a, b) => a.index - b.index);
  const sortedSkips = [...skipped].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const written = sortedShards.reduce((s, r) => s + r.samples, 0);
  const skippedCount = sortedShards.reduce((s, r) => s + r.skipped, 0);
  const input = sortedShards.reduce((s, r) => s + r.inputs[1] - r.inputs[0], 0);
  let classes: ClassCount[] | undefined;
  if (job.classNames) {
    classes = job.classNames.map((name, index) => ({ index, name, written: 0, skipped: 0 }));
    const byName = new Map(classes.map((c) => [c.name, c]));
    for (const r of sortedShards) {
      for (const [name, n] of Object.entries(r.classes ?? {})) byName.get(name)!.written += n;
    }
    for (const s of sortedSkips) if (s.class !== undefined) byName.get(s.class)!.skipped++;
  }
  const m: Manifest = {
    format: "tok1d-webdataset-manifest",
    formatVersion: 1,
    ...(Object.fromEntries(
      JOB_KEYS.filter((k) => job[k] !== undefined).map((k) => [k, job[k]]),
    ) as unknown as JobDescription),
    commands: run.commands,
    parts: { count: run.parts.count, done: [...run.parts.done].sort((a, b) => a - b) },
    complete: run.complete,
    counts: { input, written, skipped: skippedCount },
    ...(classes ? { classes } : {}),
    shards: sortedShards,
    skipped: sortedSkips,
  };
  return m;
}

/** Reads and checks a manifest file; errors name the file. */
export function readManifest(path: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UsageError(`${path}: not a readable manifest (${(e as Error).message})`);
  }
  if (m?.format !== "tok1d-webdataset-manifest" || m.formatVersion !== 1 || !Array.isArray(m.shards)) {
    throw new UsageError(`${path}: not a tok1d webdataset manifest (format 1)`);
  }
  return m;
}

/** The manifest at `dir/name` if there is one. */
export function readManifestIfAny(dir: string, name: string): Manifest | undefined {
  const path = join(dir, name);
  return existsSync(path) ? readManifest(path) : undefined;
}

/** Writes a manifest atomically, as indented JSON. */
export function writeManifest(path: string, m: Manifest): void {
  writeFileAtomic(path, JSON.stringify(m, null, 2) + "\n");
}

/**
 * Joins part manifests of one job (`--shard K/N` runs) into one. Every part
 * must describe the same job; parts may not overlap. The result is complete
 * when all N parts are there and each finished.
 *
 * @example
 * ```ts
 * const merged = mergeManifests([readManifest("m.shard-0-of-2.json"), readManifest("m.shard-1-of-2.json")]);
 * ```
 */
export function mergeManifests(
  parts: Manifest[],
  names: string[] = parts.map((_, i) => `part ${i}`),
): Manifest {
  if (!parts.length) throw new UsageError("merge: no part manifests to merge");
  const first = parts[0];
  const done = new Set<number>();
  for (const [i, p] of parts.entries()) {
    const diff = jobDifferences(first, p);
    if (diff.length) {
      throw new UsageError(`merge: ${names[i]} is from another job than ${names[0]}: ${diff.join("; ")}`);
    }
    if (p.parts.count !== first.parts.count) {
      throw new UsageError(
        `merge: ${names[i]} splits the job in ${p.parts.count} parts, ${names[0]} in ${first.parts.count}`,
      );
    }
    for (const k of p.parts.done) {
      if (done.has(k)) throw new UsageError(`merge: part ${k}/${p.parts.count} appears twice (${names[i]})`);
      done.add(k);
    }
  }
  const all = first.parts.count === done.size && parts.every((p) => p.complete);
  return buildManifest(
    first,
    {
      commands: parts.flatMap((p) => p.commands),
      parts: { count: all ? 1 : first.parts.count, done: all ? [0] : [...done] },
      complete: all,
    },
    parts.flatMap((p) => p.shards),
    parts.flatMap((p) => p.skipped),
  );
}
