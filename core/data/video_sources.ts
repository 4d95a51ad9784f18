/**
 * Where videos come from: video files, folders holding them (recursive,
 * sorted), and webdataset shards (a `.tar`, a folder of them or a brace
 * pattern) whose members are videos (`<key>.mp4`, …). A shard member is
 * copied from its offset to a temporary file while it is read (ffmpeg and
 * ffprobe need a path) and removed after, so one video at a time is on disk,
 * at most `BUDGETS.videoMemberBytes` (core/data/video_members.ts); the shard
 * is never loaded or extracted whole.
 *
 * {@link openVideoSource} answers `undefined` for inputs that hold images,
 * so a command can try videos first and fall back to the image reader.
 *
 * @example
 * ```ts
 * const src = openVideoSource(["clips/"]);
 * for await (const v of src!.files()) {
 *   const { video } = await readVideo(v.path, { size: 32 });
 *   v.release();
 * }
 * ```
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { UsageError } from "../errors.ts";
import { expandBraces, hasBraces } from "./brace.ts";
import { walkFiles } from "./scan.ts";
import { type ShardSlice, sliceRange, WHOLE } from "./shard_slice.ts";
import { readTar } from "./tar_read.ts";
import { isVideoPath } from "./video.ts";
import { splitKey } from "./webdataset.ts";
import {
  checkMemberSize,
  listVideoMembers,
  memberFile,
  memberLabel,
  type VideoMember,
} from "./video_members.ts";

/** A video ready to read; `release` removes a shard member's temporary file. */
export interface VideoFile {
  /** The file, or `shard.tar:member` for a shard member. */
  name: string;
  path: string;
  release(): void;
  /** The same video ready again after `release` (a shard member is copied anew): random access for training. */
  reopen(): Promise<VideoFile>;
}

/** Videos of one or more inputs. */
export interface VideoSource {
  kind: "files" | "shards";
  /** Videos in this part, when known without reading (files). */
  count?: number;
  files(): AsyncGenerator<VideoFile>;
}

const isTarSpec = (s: string) => hasBraces(s) || (s.endsWith(".tar") && !isDir(s));
const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** Shards named by one input (a .tar, a brace pattern, a folder of .tar files), or undefined. */
function shardsOf(spec: string): string[] | undefined {
  if (isTarSpec(spec)) return expandBraces(spec);
  if (!isDir(spec)) return undefined;
  const tars = walkFiles(spec).filter((f) => !f.error && f.rel.endsWith(".tar") && !f.rel.includes("/"));
  return tars.length ? tars.map((f) => f.path) : undefined;
}

/** Whether the first sample of the first shard has a video field (`k.json` may come before `k.mp4`). */
async function holdsVideos(shard: string): Promise<boolean> {
  let first: string | undefined;
  for await (const m of readTar(shard, { skipData: true, chunkSize: 1 << 16 })) {
    if (m.type !== "file") continue;
    const key = splitKey(m.name)?.key ?? m.name;
    if (first !== undefined && key !== first) return false;
    first = key;
    if (isVideoPath(m.name)) return true;
  }
  return false;
}

/**
 * The videos of `inputs`, or undefined when they hold images (or nothing
 * video-like). `slice` keeps a contiguous part of the files (or shards).
 * Mixing videos and image inputs is a UsageError naming the input.
 */
export async function openVideoSource(
  inputs: readonly string[],
  slice: ShardSlice = WHOLE,
): Promise<VideoSource | undefined> {
  const shards = inputs.map(shardsOf);
  if (shards.every((s) => s !== undefined)) {
    const all = shards.flat() as string[];
    const missing = all.find((s) => !existsSync(s));
    if (missing) throw new UsageError(`${inputs.join(" ")}: shard ${missing} does not exist`);
    if (!all.length || !(await holdsVideos(all[0]))) return undefined;
    const [a, b] = sliceRange(all.length, slice);
    return { kind: "shards", files: () => shardMembers(all.slice(a, b)) };
  }
  const per = inputs.map((i) => {
    if (isDir(i)) return walkFiles(i).filter((f) => !f.error && isVideoPath(f.rel)).map((f) => f.path);
    return isVideoPath(i) ? [i] : [];
  });
  const some = per.findIndex((v) => v.length > 0), none = per.findIndex((v) => v.length === 0);
  if (some < 0) return undefined;
  if (none >= 0) {
    throw new UsageError(
      `${inputs[none]}: holds no video files (.mp4, .webm, …) while ${
        inputs[some]
      } does; pass videos or images, not both`,
    );
  }
  for (const f of per.flat()) {
    if (!existsSync(f)) throw new UsageError(`${f}: no such video file`);
  }
  const all = per.flat();
  const [a, b] = sliceRange(all.length, slice);
  const files = all.slice(a, b);
  return {
    kind: "files",
    count: files.length,
    async *files() {
      for (const path of files) yield plainFile(path);
    },
  };
}

/** A video file on disk: nothing to release. */
export function plainFile(path: string): VideoFile {
  const f: VideoFile = { name: path, path, release: () => {}, reopen: () => Promise.resolve(f) };
  return f;
}

/** A shard member as a {@link VideoFile} (copied now; `reopen` copies it again). */
async function memberVideo(m: VideoMember): Promise<VideoFile> {
  const file = await memberFile(m);
  return { name: memberLabel(m), path: file.path, release: file.release, reopen: () => memberVideo(m) };
}

async function* shardMembers(shards: string[]): AsyncGenerator<VideoFile> {
  for (const shard of shards) {
    const members = await listVideoMembers(shard);
    members.forEach((m) => checkMemberSize(m)); // refuse an oversized member before any work on the shard
    for (const m of members) {
      const f = await memberVideo(m);
      try {
        yield f;
      } finally {
        f.release();
      }
    }
  }
}
