/**
 * `tok1d convert`: image trees → webdataset shards (`imagefolder`,
 * `bdd100k`), and `merge` for the part manifests of `--shard K/N` runs.
 *
 * @example
 * ```sh
 * tok1d convert imagefolder /data/imagenet --out /data/imagenet_wds --subset imagenet100
 * tok1d convert imagefolder /data/imagenet --out /data/wds --resize 256 --shard $SLURM_ARRAY_TASK_ID/8
 * tok1d convert merge /data/wds
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Command, Option } from "commander";
import { UsageError } from "../core/errors.ts";
import { ATTRIBUTES, convertBdd100k } from "../core/data/convert_bdd100k.ts";
import { convertImageFolder, type SplitResult } from "../core/data/convert_imagefolder.ts";
import { type Manifest, mergeManifests, readManifest, writeManifest } from "../core/data/manifest.ts";
import type { PrepareMode } from "../core/data/prepare.ts";
import { parseShardFlag, WHOLE } from "../core/data/shard_slice.ts";
import { IMAGE_NAME } from "../core/data/sources.ts";
import { intFlag } from "./common.ts";

interface CommonFlags {
  out: string;
  prefix?: string;
  split?: string;
  shardSize?: string;
  resize?: string;
  quality: string;
  verify: "header" | "decode";
  shard?: string;
  mtime: string;
  concurrency?: string;
  overwrite?: boolean;
  json?: boolean;
}

function commonOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--out <dir>", "output folder (one subfolder per split)")
    .option("--prefix <name>", "shard name prefix (default: the root folder's name)")
    .option("--split <names>", "comma-separated splits to convert (default: all found)")
    .option("--shard-size <n>", "samples per shard (default 4000 train, 1000 val/test)")
    .option("--resize <side>", "re-encode: shorter side → side, centre crop, JPEG (default: copy bytes)")
    .option("--quality <q>", "JPEG quality with --resize", "95")
    .addOption(
      new Option("--verify <how>", "copy mode: check headers, or decode every image").choices([
        "header",
        "decode",
      ])
        .default("header"),
    )
    .option("--shard <K/N>", "convert part K (from 0) of N; join the parts with `convert merge`")
    .option("--mtime <seconds>", "modification time stored in the tar headers", "0")
    .option("--concurrency <n>", "files read or encoded at once")
    .option("--overwrite", "replace an output folder that holds a different conversion")
    .option("--json", "machine-readable summary on stdout");
}

function rootArgs(cmd: Command): string[] {
  let c = cmd;
  while (c.parent) c = c.parent;
  return [...(c as unknown as { rawArgs: string[] }).rawArgs];
}

function modeFrom(f: CommonFlags): PrepareMode {
  if (f.resize === undefined) return { kind: "copy", verify: f.verify };
  const quality = intFlag(f.quality, "--quality")!;
  if (quality > 100) throw new UsageError(`--quality: must be 1..100, got ${f.quality}`);
  return { kind: "resize", size: intFlag(f.resize, "--resize")!, quality };
}

function mtimeFrom(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(`--mtime: expected seconds since 1970 (integer ≥ 0), got '${value}'`);
  }
  return n;
}

/** Progress on stderr, at most one line a second (and the last one). */
function progress(quiet: boolean | undefined) {
  let last = 0;
  const start = performance.now();
  return (split: string, done: number, total: number) => {
    const now = performance.now();
    if (quiet || (now - last < 1000 && done < total)) return;
    last = now;
    const rate = done / Math.max((now - start) / 1000, 1e-3);
    console.error(`convert ${split || "."}: ${done}/${total} files, ${rate.toFixed(0)} files/s`);
  };
}

function report(results: SplitResult[], json?: boolean): void {
  const rows = results.map((r) => ({
    split: r.split,
    out: r.out,
    complete: r.manifest.complete,
    shards: r.manifest.shards.length,
    ...r.manifest.counts,
    filtered: r.manifest.filtered,
  }));
  if (json) console.log(JSON.stringify(rows, null, 2));
  else {
    for (const r of rows) {
      console.error(
        `${r.split}: ${r.written} written, ${r.skipped} skipped of ${r.input} → ${r.shards} shards in ${r.out}`,
      );
    }
  }
}

function shared(f: CommonFlags, cmd: Command) {
  return {
    out: f.out,
    mode: modeFrom(f),
    command: rootArgs(cmd),
    prefix: f.prefix,
    splits: f.split?.split(",").map((s) => s.trim()).filter(Boolean),
    shardSize: intFlag(f.shardSize, "--shard-size"),
    mtime: mtimeFrom(f.mtime),
    slice: f.shard === undefined ? WHOLE : parseShardFlag(f.shard),
    overwrite: f.overwrite,
    concurrency: intFlag(f.concurrency, "--concurrency"),
    onProgress: progress(f.json),
  };
}

function partFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => /^manifest\.shard-\d+-of-\d+\.json$/.test(f)).sort((a, b) =>
    Number(/-(\d+)-of/.exec(a)![1]) - Number(/-(\d+)-of/.exec(b)![1])
  );
}

/** Whether some image file lies below `dir` (stops at the first; unreadable folders count as empty). */
function hasImage(dir: string, depth = 0): boolean {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) if (!e.isDirectory() && IMAGE_NAME.test(e.name)) return true;
  return depth < 8 && entries.some((e) => !e.isFile() && hasImage(join(dir, e.name), depth + 1));
}

/** Refuses a dataset root without a single image before any work (instead of writing 0 of 0). */
function assertImages(root: string, layout: string): void {
  if (existsSync(root) && statSync(root).isDirectory() && !hasImage(root)) {
    throw new UsageError(`${root}: no image files (.jpg, .png, .webp) below it; expected ${layout}`);
  }
}

/** Merges the part manifests in `dir` (or in each subfolder that has them) into manifest.json. */
export function mergeFolder(dir: string, verifySha = false): { dir: string; manifest: Manifest }[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir}: no such folder`);
  const dirs = partFiles(dir).length
    ? [dir]
    : readdirSync(dir).map((d) => join(dir, d)).filter((d) =>
      statSync(d).isDirectory() && partFiles(d).length
    )
      .sort();
  if (!dirs.length) throw new UsageError(`${dir}: no manifest.shard-K-of-N.json files to merge`);
  return dirs.map((d) => {
    const files = partFiles(d);
    const merged = mergeManifests(files.map((f) => readManifest(join(d, f))), files);
    if (!merged.complete) {
      const n = merged.parts.count;
      const missing = Array.from({ length: n }, (_, k) => k).filter((k) => !merged.parts.done.includes(k));
      throw new UsageError(
        `${d}: cannot merge yet: ${
          missing.length ? `parts ${missing.join(", ")} of ${n} missing` : "a part did not finish"
        }`,
      );
    }
    for (const s of merged.shards) {
      const p = join(d, s.name);
      if (!existsSync(p) || statSync(p).size !== s.bytes) {
        throw new UsageError(`${p}: missing or of the wrong size`);
      }
      if (verifySha && createHash("sha256").update(readFileSync(p)).digest("hex") !== s.sha256) {
        throw new UsageError(`${p}: SHA-256 differs from the manifest`);
      }
    }
    writeManifest(join(d, "manifest.json"), merged);
    return { dir: d, manifest: merged };
  });
}

/** The `convert` command with its subcommands. */
export function convertCommand(): Command {
  const convert = new Command("convert").description("image datasets → webdataset tar shards + manifest");
  commonOptions(
    convert.command("imagefolder").description(
      "ImageNet-style tree (<split>/<class>/<file>) → shards with .cls",
    ),
  )
    .argument("<root>", "dataset root")
    .option("--subset <name|file>", "keep these classes only: imagenet100 (ALIT) or a file of class names")
    .action(async (root: string, f: CommonFlags & { subset?: string }, cmd: Command) => {
      assertImages(root, "<root>/<split>/<class>/<file>");
      report(await convertImageFolder({ root, subset: f.subset, ...shared(f, cmd) }), f.json);
    });
  commonOptions(
    convert.command("bdd100k").description("BDD100K frames (+ labels JSON filters) → shards with .json"),
  )
    .argument("<root>", "BDD100K root (images/100k/<split>/, labels/)")
    .option("--labels <file>", "label JSON for the (single) split (default: found under the root)")
    .option("--timeofday <values>", "keep frames with these times of day (e.g. daytime)")
    .option("--weather <values>", "keep frames with these weathers (e.g. clear)")
    .option("--scene <values>", "keep frames with these scenes (e.g. 'city street')")
    .action(async (root: string, f: CommonFlags & Record<string, string | undefined>, cmd: Command) => {
      assertImages(root, "images/100k/<split>/*.jpg (or the frames directly)");
      const filters = Object.fromEntries(
        ATTRIBUTES.filter((a) => f[a]).map((a) => [a, f[a]!.split(",").map((s) => s.trim()).filter(Boolean)]),
      );
      report(await convertBdd100k({ root, labels: f.labels, filters, ...shared(f, cmd) }), f.json);
    });
  convert.command("merge")
    .description("join the manifest.shard-K-of-N.json of --shard runs into manifest.json")
    .argument("<dir>", "output folder of the parts (or its parent, with one subfolder per split)")
    .option("--verify-sha256", "re-hash every shard against the manifests")
    .option("--json", "machine-readable summary on stdout")
    .action((dir: string, f: { verifySha256?: boolean; json?: boolean }) => {
      const merged = mergeFolder(dir, f.verifySha256);
      report(
        merged.map(({ dir, manifest }) => ({
          split: String(manifest.source.split ?? dir),
          out: dir,
          manifest,
        })),
        f.json,
      );
    });
  return convert;
}
