/**
 * Test fixture: a short synthetic video made with ffmpeg's lavfi sources (testsrc, testsrc2,
 * smptebars, …), yuv420p — the clips the video tests and CLI tests read.
 * @module
 */
import { spawnSync } from "node:child_process";
import { findFfmpeg } from "./video.ts";

/** Writes `out` from lavfi `source` at `size` (WxH), `rate` fps, `duration` seconds; throws with ffmpeg's stderr. */
export function makeTestVideo(out: string, source: string, duration = 0.5, size = "24x16", rate = 24): void {
  const made = spawnSync(findFfmpeg().ffmpeg, [
    "-v",
    "error",
    "-f",
    "lavfi",
    "-i",
    `${source}=size=${size}:rate=${rate}:duration=${duration}`,
    "-pix_fmt",
    "yuv420p",
    out,
  ]);
  if (made.status !== 0) throw new Error(`ffmpeg ${source} → ${out}: ${made.stderr}`);
}
