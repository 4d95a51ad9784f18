/**
 * Video members of webdataset shards (`<key>.mp4`, …), read without
 * extracting a shard: {@link listVideoMembers} reads the headers only (the
 * bytes are skipped, never loaded), and {@link memberFile} copies one
 * member's bytes, from its offset in the shard, into a temporary file for
 * ffmpeg and ffprobe (which need a seekable path: an `.mp4` may keep its
 * index at the end). One member is on disk at a time, and never more than
 * `BUDGETS.videoMemberBytes` (core/budgets.ts): a larger member is refused
 * by name, `<shard>:<member>`, before anything is written.
 *
 * @example
 * ```ts
 * for (const m of await listVideoMembers("clips-000000.tar")) {
 *   const f = await memberFile(m);
 *   try { await readVideo(f.path, { size: 32 }); } finally { f.release(); }
 * }
 * ```
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { BUDGETS, overBudget } from "../budgets.ts";
import { UsageError } from "../errors.ts";
import { readTar } from "./tar_read.ts";
import { isVideoPath } from "./video.ts";
import { isSafeMemberName } from "./webdataset.ts";

/** Where a video member's bytes are in its shard. */
export interface VideoMember {
  shard: string;
  /** The member's name in the archive. */
  member: string;
  offset: number;
  size: number;
}

/** `<shard>:<member>`, the name messages and reports use. */
export const memberLabel = (m: VideoMember): string => `${m.shard}:${m.member}`;

/** Refuses a member past the budget (`limit`, default `BUDGETS.videoMemberBytes`), naming shard and member. */
export function checkMemberSize(m: VideoMember, limit: number = BUDGETS.videoMemberBytes): void {
  if (m.size > limit) {
    throw overBudget(memberLabel(m), `a video member of ${m.size} bytes`, "videoMemberBytes", limit);
  }
}

/** The video members of `shard`, in archive order (headers only; unsafe names skipped, as webdataset does). */
export async function listVideoMembers(shard: string): Promise<VideoMember[]> {
  const out: VideoMember[] = [];
  for await (const m of readTar(shard, { skipData: true, chunkSize: 1 << 16 })) {
    if (m.type !== "file" || !isVideoPath(m.name) || !isSafeMemberName(m.name)) continue;
    out.push({ shard, member: m.name, offset: m.offset, size: m.size });
  }
  return out;
}

/** A member copied to a temporary file; `release` removes it (idempotent). */
export interface MemberFile {
  path: string;
  release(): void;
}

/** Copies `m` into a fresh temporary folder in chunks (see the module doc). */
export async function memberFile(m: VideoMember, limit?: number): Promise<MemberFile> {
  checkMemberSize(m, limit);
  const dir = mkdtempSync(join(tmpdir(), "tok1d-video-"));
  const path = join(dir, basename(m.member));
  let done = false;
  const release = () => {
    if (!done) rmSync(dir, { recursive: true, force: true });
    done = true;
  };
  try {
    const src = await open(m.shard, "r");
    try {
      const dst = await open(path, "wx");
      try {
        const buf = new Uint8Array(Math.min(m.size, 1 << 22) || 1);
        for (let at = 0; at < m.size;) {
          const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, m.size - at), m.offset + at);
          if (bytesRead === 0) throw new UsageError(`${memberLabel(m)}: the shard ends inside the member`);
          await dst.write(buf.subarray(0, bytesRead));
          at += bytesRead;
        }
      } finally {
        await dst.close();
      }
    } finally {
      await src.close();
    }
  } catch (e) {
    release();
    throw e;
  }
  return { path, release };
}
