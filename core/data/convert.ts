/**
 * The conversion engine behind `tok1d convert`: an ordered list of input
 * files → webdataset shards + manifest, resumable and splittable.
 *
 * Layout: shard `i` covers inputs `[i·S, (i+1)·S)` (S = shard size) and is
 * named `<prefix>-<i:06d>.tar`; sample keys are the input's position, zero
 * padded to 8 digits, so keys sort in input order, and a skipped input leaves
 * its key unused (its shard is one sample short). Because a shard depends only
 * on its own inputs:
 * - `--shard K/N` takes a contiguous block of shards and writes exactly the
 *   bytes an unsplit run writes for them (plus a part manifest);
 * - a rerun keeps every shard its manifest lists with a matching size, removes
 *   stale temporary files, and rewrites the rest: after a SIGKILL the output
 *   is byte-identical to an uninterrupted run's.
 *
 * @example
 * ```ts
 * import { convertToShards } from "./convert.ts";
 * const manifest = await convertToShards({
 *   out: "shards", prefix: "photos", shardSize: 1000, mode: { kind: "copy" },
 *   inputs: [{ rel: "a.jpg", path: "photos/a.jpg" }], source: { kind: "list" }, command: ["convert"],
 * });
 * console.log(manifest.counts);
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { check, UsageError } from "../errors.ts";
import {
  buildManifest,
  type JobDescription,
  jobDifferences,
  type Manifest,
  manifestName,
  readManifestIfAny,
  type ShardRecord,
  type SkippedInput,
  writeManifest,
} from "./manifest.ts";
import { mapOrdered } from "./ordered.ts";
import { type Prepared, prepareImage, type PrepareMode } from "./prepare.ts";
import { type ShardSlice, sliceRange, WHOLE } from "./shard_slice.ts";
import { ShardWriter } from "./shard_writer.ts";

/** tok1d's version, recorded in manifests. */
export const TOOL = { name: "tok1d", version: "0.1.0" };

/** One input file. */
export interface ConvertInput {
  /** Path relative to the dataset root (recorded in the manifest, hashed into the job identity). */
  rel: string;
  /** Where to read it (default `rel`). */
  path?: string;
  /** Class index and name (labelled datasets): written as `<key>.cls`. */
  cls?: number;
  className?: string;
  /** More members of the sample, e.g. `["json", bytes]`. */
  extra?: [string, Uint8Array][];
  /** Known to be unusable before reading (e.g. a symlink loop found while scanning). */
  error?: string;
}

/** A conversion job. */
export interface ConvertJob {
  out: string;
  prefix: string;
  shardSize: number;
  mode: PrepareMode;
  inputs: ConvertInput[];
  /** Recorded as is; identifies the job (with the settings and the inputs). */
  source: Record<string, unknown>;
  filtered?: Record<string, number>;
  classNames?: string[];
  command: string[];
  /** Tar modification time in seconds (default 0). */
  mtime?: number;
  slice?: ShardSlice;
  /** Replace an output folder that holds another job instead of refusing. */
  overwrite?: boolean;
  /** Files read/encoded at once (default 16 for copy, 4 for resize). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

const shardName = (prefix: string, i: number) => `${prefix}-${String(i).padStart(6, "0")}.tar`;

function describe(job: ConvertJob): JobDescription {
  const hash = createHash("sha256");
  for (const x of job.inputs) {
    hash.update(`${x.rel}\t${x.cls ?? ""}\t${x.error ?? ""}\n`);
    for (const [ext, data] of x.extra ?? []) hash.update(ext).update(data);
  }
  return {
    tool: TOOL,
    source: job.source,
    settings: {
      prefix: job.prefix,
      shardSize: job.shardSize,
      ...job.mode,
      mtime: job.mtime ?? 0,
    },
    inputs: { count: job.inputs.length, sha256: hash.digest("hex") },
    filtered: job.filtered ?? {},
    ...(job.classNames ? { classNames: job.classNames } : {}),
    shardCount: Math.ceil(job.inputs.length / job.shardSize),
  };
}

/** Shard records of an earlier run of the same job whose files are still there, intact in size. */
function reusable(job: ConvertJob, desc: JobDescription, manifestFile: string): Map<number, ShardRecord> {
  const old = readManifestIfAny(job.out, manifestFile);
  const keep = new Map<number, ShardRecord>();
  if (!old) return keep;
  const diff = jobDifferences(old, desc);
  if (diff.length) {
    if (!job.overwrite) {
      throw new UsageError(
        `--out ${job.out}: holds a conversion with other settings or inputs (${diff.join("; ")}); ` +
          "use another folder, or --overwrite to replace it",
      );
    }
    return keep;
  }
  for (const r of old.shards) {
    const path = join(job.out, r.name);
    if (existsSync(path) && statSync(path).size === r.bytes) keep.set(r.index, r);
  }
  return keep;
}

/**
 * Removes temporary files a killed run of this part left (shards and the
 * manifest's atomic-write temporary), and with --overwrite shards past the new end.
 */
function clean(
  job: ConvertJob,
  first: number,
  end: number,
  total: number,
  last: boolean,
  manifest: string,
): void {
  if (!existsSync(job.out)) return;
  const manifestTmp = `.${manifest}.`; // writeFileAtomic's ".<name>.<pid>.<time>.tmp"
  for (const f of readdirSync(job.out)) {
    if (f.startsWith(manifestTmp) && f.endsWith(".tmp")) rmSync(join(job.out, f), { force: true });
  }
  const pattern = new RegExp(
    `^\\.?${job.prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-(\\d{6})\\.tar(\\.partial)?$`,
  );
  for (const f of readdirSync(job.out)) {
    const m = pattern.exec(f);
    if (!m) continue;
    const i = Number(m[1]);
    const stale = m[2] && f.startsWith(".") && i >= first && i < end;
    const beyond = job.overwrite && last && !m[2] && i >= total;
    if (stale || beyond) rmSync(join(job.out, f), { force: true });
  }
}

/**
 * Converts the job's share of inputs into shards and writes its manifest
 * (after every shard, so that a killed run resumes where it stopped).
 * Returns the final manifest.
 */
export async function convertToShards(job: ConvertJob): Promise<Manifest> {
  check(Number.isInteger(job.shardSize) && job.shardSize > 0, `--shard-size: must be a positive integer`);
  check(
    /^[\w.+-]+$/.test(job.prefix),
    () => `--prefix ${job.prefix}: use letters, digits, '.', '_', '+' or '-'`,
  );
  const slice = job.slice ?? WHOLE;
  const desc = describe(job);
  const total = desc.shardCount;
  const [first, end] = sliceRange(total, slice);
  const manifestFile = manifestName(slice);
  const done = reusable(job, desc, manifestFile);
  clean(job, first, end, total, slice.index === slice.count - 1, manifestFile);

  const records = new Map<number, ShardRecord>();
  const skips = new Map<number, SkippedInput[]>();
  const keyWidth = Math.max(8, String(Math.max(0, job.inputs.length - 1)).length);
  const keyOf = (pos: number) => String(pos).padStart(keyWidth, "0");
  const run = { commands: [job.command], parts: { count: slice.count, done: [slice.index] } };
  const save = (complete: boolean) =>
    writeManifest(
      join(job.out, manifestFile),
      buildManifest(desc, { ...run, complete }, [...records.values()], [...skips.values()].flat()),
    );
  const oldManifest = readManifestIfAny(job.out, manifestFile);
  for (const [i, r] of done) {
    if (i < first || i >= end) continue;
    records.set(i, r);
    const [a, b] = r.inputs;
    skips.set(i, (oldManifest?.skipped ?? []).filter((s) => Number(s.key) >= a && Number(s.key) < b));
  }

  const pending: number[] = [];
  for (let i = first; i < end; i++) if (!records.has(i)) pending.push(i);
  const myInputs = Math.min(end * job.shardSize, job.inputs.length) - first * job.shardSize;
  let progress = myInputs - pending.reduce((s, i) => s + shardRange(job, i)[1] - shardRange(job, i)[0], 0);
  job.onProgress?.(progress, myInputs);

  const positions = pending.flatMap((i) => {
    const [a, b] = shardRange(job, i);
    return Array.from({ length: b - a }, (_, k) => a + k);
  });
  const concurrency = job.concurrency ?? (job.mode.kind === "copy" ? 16 : 4);
  const prepared = mapOrdered(positions, (pos) => prepare(job, pos), concurrency);
  for (const i of pending) {
    const [a, b] = shardRange(job, i);
    const writer = new ShardWriter(join(job.out, shardName(job.prefix, i)), { mtime: job.mtime ?? 0 });
    const shardSkips: SkippedInput[] = [];
    const classes: Record<string, number> = {};
    try {
      for (let pos = a; pos < b; pos++) {
        const { value: r } = await prepared.next();
        const input = job.inputs[pos];
        const key = keyOf(pos);
        if (!r.ok) {
          const skip: SkippedInput = { key, path: input.rel, reason: r.reason };
          if (input.className !== undefined) skip.class = input.className;
          shardSkips.push(skip);
        } else {
          writer.add(`${key}.${r.ext}`, r.data);
          if (input.cls !== undefined) writer.add(`${key}.cls`, new TextEncoder().encode(String(input.cls)));
          for (const [ext, data] of input.extra ?? []) writer.add(`${key}.${ext}`, data);
          if (input.className !== undefined) classes[input.className] = (classes[input.className] ?? 0) + 1;
        }
        job.onProgress?.(++progress, myInputs);
      }
    } catch (e) {
      writer.abort();
      throw e;
    }
    const { bytes, sha256 } = writer.finish();
    const record: ShardRecord = {
      index: i,
      name: shardName(job.prefix, i),
      inputs: [a, b],
      samples: b - a - shardSkips.length,
      skipped: shardSkips.length,
      bytes,
      sha256,
    };
    if (job.classNames) record.classes = classes;
    records.set(i, record);
    skips.set(i, shardSkips);
    save(false);
  }
  save(true);
  return buildManifest(desc, { ...run, complete: true }, [...records.values()], [...skips.values()].flat());
}

function shardRange(job: ConvertJob, i: number): [number, number] {
  return [i * job.shardSize, Math.min((i + 1) * job.shardSize, job.inputs.length)];
}

function prepare(job: ConvertJob, pos: number): Promise<Prepared> {
  const input = job.inputs[pos];
  if (input.error) return Promise.resolve({ ok: false, reason: input.error });
  return prepareImage(input.path ?? input.rel, job.mode);
}
