/**
 * `tok1d fid`: FID between two image folders, datasets or statistics files,
 * like `python -m pytorch_fid a b`; `fid stats` saves a collection's
 * statistics (pytorch-fid's `--save-stats`), `fid merge` joins the parts of
 * `--shard K/N` runs exactly.
 *
 * @example
 * ```sh
 * tok1d fid samples/ VIRTUAL_imagenet256_labeled.npz --inception pt_inception-2015-12-05-6726825d.pth
 * tok1d fid stats val-{0000..0009}.tar --size 256 --out parts/0.npz --shard 0/4 --inception …
 * tok1d fid merge parts/*.npz --out val.npz
 * ```
 * @module
 */
import { existsSync } from "node:fs";
import { Command, Option } from "commander";
import { UsageError } from "../core/errors.ts";
import { InceptionFeatures } from "../core/metrics/features.ts";
import { FeatureStatistics, type FidStatistics } from "../core/metrics/fid_stats.ts";
import { frechetDistance } from "../core/metrics/frechet.ts";
import { imageStatistics } from "../core/metrics/image_stats.ts";
import {
  FEATURE_DIM,
  FID_PROTOCOLS,
  type FidProtocol,
  INCEPTION_WEIGHTS,
} from "../core/metrics/inception.ts";
import { readStatistics, type StoredStatistics, writeStatistics } from "../core/metrics/stats_file.ts";
import { DEVICES } from "../core/runtime/mod.ts";
import { intFlag, Progress } from "./common.ts";

/** Flags shared by the commands that run Inception. */
export interface InceptionFlags {
  inception?: string;
  protocol: FidProtocol;
  size?: string;
  batchSize?: string;
  limit?: string;
  shard?: string;
  device: string;
  threads?: string;
  json?: boolean;
}

/** Adds the Inception flags to a command. */
export function inceptionOptions(cmd: Command): Command {
  return cmd
    .option(
      "--inception <file>",
      `Inception weights (${INCEPTION_WEIGHTS.file}); default $TOK1D_INCEPTION; 'random' for tests`,
    )
    .addOption(
      new Option("--protocol <name>", "FID front end").choices(Object.keys(FID_PROTOCOLS)).default(
        "pytorch-fid",
      ),
    )
    .option("--size <n>", "resize (shorter side) and centre-crop images to n×n first; needed for shards")
    .option("--batch-size <n>", "images per Inception call", "50")
    .option("--limit <n>", "use at most n images of each collection")
    .addOption(new Option("--device <name>", "execution provider").choices([...DEVICES]).default("cpu"))
    .option("--threads <n>", "intra-op threads (default: all cores)")
    .option("--json", "machine-readable output on stdout");
}

/** The Inception weights the flags name, else $TOK1D_INCEPTION; `undefined` gives the where-to-get-it error. */
export function inceptionSpec(flag: string | undefined): string | undefined {
  return flag ?? (process.env.TOK1D_INCEPTION || undefined);
}

const isStatsFile = (p: string) => p.toLowerCase().endsWith(".npz");

async function collectionStatistics(
  spec: string,
  f: InceptionFlags,
  inception: () => Promise<InceptionFeatures>,
): Promise<StoredStatistics & { count?: number }> {
  if (isStatsFile(spec)) return finiteStatistics(readStatistics(spec), spec);
  if (!existsSync(spec) && !/[{*]/.test(spec)) {
    throw new UsageError(`${spec}: no such folder, dataset or .npz file`);
  }
  const total = intFlag(f.limit, "--limit");
  const progress = total ? new Progress(`features ${spec}`, total, f.json) : undefined;
  const stats = await imageStatistics(spec, await inception(), {
    size: intFlag(f.size, "--size"),
    shard: f.shard,
    limit: intFlag(f.limit, "--limit"),
    batchSize: intFlag(f.batchSize, "--batch-size"),
    session: { device: f.device, threads: intFlag(f.threads, "--threads") },
    onProgress: (n) => progress?.update(Math.min(n, total!)),
  });
  await stats.release();
  if (!f.json) console.error(`${spec}: ${stats.count} images`);
  return stats.result();
}

/** Refuses statistics with NaN/Inf (a broken part would give a NaN FID without a word). */
function finiteStatistics<S extends StoredStatistics>(s: S, path: string): S {
  for (const [name, v] of [["mu", s.mu], ["sigma", s.sigma]] as const) {
    const bad = v.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      throw new UsageError(`${path}: ${name} holds ${v[bad]} at ${bad}; statistics must be finite`);
    }
  }
  return s;
}

function lazyInception(f: InceptionFlags) {
  let made: Promise<InceptionFeatures> | undefined;
  const get = () =>
    made ??= InceptionFeatures.create(inceptionSpec(f.inception), {
      protocol: f.protocol,
      device: f.device,
      threads: intFlag(f.threads, "--threads"),
      batchSize: intFlag(f.batchSize, "--batch-size"),
    });
  return { get, release: async () => made && (await (await made).release()) };
}

async function fidAction(a: string, b: string, f: InceptionFlags): Promise<void> {
  const inception = lazyInception(f);
  try {
    const sa = await collectionStatistics(a, f, inception.get);
    const sb = await collectionStatistics(b, f, inception.get);
    const r = await frechetDistance(sa, sb, { threads: intFlag(f.threads, "--threads"), names: [a, b] });
    // Near-constant features: say so instead of printing a number that means nothing.
    if (r.degenerate) console.error(`warning: ${r.degenerate}`);
    if (f.json) {
      console.log(
        JSON.stringify(
          {
            ...r,
            fid: r.degenerate ? null : r.fid,
            protocol: f.protocol,
            images: [sa.count ?? null, sb.count ?? null],
          },
          null,
          2,
        ),
      );
    } else console.log(`FID: ${r.degenerate ? "not meaningful (see the warning)" : r.fid}`);
  } finally {
    await inception.release();
  }
}

async function statsAction(images: string, f: InceptionFlags & { out: string }): Promise<void> {
  if (!f.out.toLowerCase().endsWith(".npz")) {
    throw new UsageError(`--out ${f.out}: statistics files end in .npz`);
  }
  const inception = lazyInception(f);
  try {
    const s = await collectionStatistics(images, f, inception.get);
    writeStatistics(f.out, s as FidStatistics);
    if (f.json) console.log(JSON.stringify({ out: f.out, images: s.count, protocol: f.protocol }, null, 2));
    else console.error(`wrote ${f.out} (${s.count} images, ${f.protocol} front end)`);
  } finally {
    await inception.release();
  }
}

function mergeAction(parts: string[], f: { out: string; json?: boolean }): void {
  if (!f.out.toLowerCase().endsWith(".npz")) {
    throw new UsageError(`--out ${f.out}: statistics files end in .npz`);
  }
  const acc = new FeatureStatistics(FEATURE_DIM);
  for (const p of parts) {
    const s = finiteStatistics(readStatistics(p), p);
    if (s.count === undefined) {
      throw new UsageError(
        `${p}: has no num_images, so it cannot be merged exactly (write parts with tok1d fid stats)`,
      );
    }
    if (s.mu.length !== FEATURE_DIM) {
      throw new UsageError(`${p}: ${s.mu.length}-d statistics, expected ${FEATURE_DIM}`);
    }
    acc.mergeStatistics({ ...s, count: s.count });
  }
  writeStatistics(f.out, acc.result());
  if (f.json) console.log(JSON.stringify({ out: f.out, images: acc.count, parts: parts.length }, null, 2));
  else console.error(`wrote ${f.out} (${acc.count} images from ${parts.length} parts)`);
}

/** The `fid` command with its `stats` and `merge` subcommands. */
export function fidCommand(): Command {
  const fid = inceptionOptions(
    new Command("fid").description(
      "FID between two image folders, datasets or .npz statistics files (pytorch-fid)",
    ),
  )
    .argument("<a>", "image folder, dataset (shards, class tree) or .npz statistics")
    .argument("<b>", "the same for the other collection")
    .action(fidAction);
  // The Inception flags are the parent's (commander parses them anywhere on the line): read them with optsWithGlobals.
  fid.command("stats").description("save a collection's FID statistics (.npz); takes the fid options")
    .argument("<images>", "image folder or dataset")
    .requiredOption("--out <file.npz>", "statistics file to write")
    .option("--shard <K/N>", "this process's part of the images (merge the parts with fid merge)")
    .action((images: string, _: unknown, cmd: Command) => statsAction(images, cmd.optsWithGlobals()));
  fid.command("merge").description("merge the statistics of --shard runs exactly")
    .argument("<parts...>", "statistics files written by fid stats --shard")
    .requiredOption("--out <file.npz>", "merged statistics file")
    .action((parts: string[], _: unknown, cmd: Command) => mergeAction(parts, cmd.optsWithGlobals()));
  return fid;
}
