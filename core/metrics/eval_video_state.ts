/**
 * Parts of a sharded video evaluation (`tok1d eval --data <videos> --shard
 * K/N --out <dir>`) and their exact merge: a part saves the sums of its clips
 * (core/metrics/evaluate_video.ts `VideoEvaluationState`: per point PSNR,
 * SSIM, L1 and, for the adaptive encode, kept tokens; clips, frames, videos,
 * the kept-count tally per block, the per-clip rows) with what it ran
 * (`meta`: model, data, points, …; the bad videos it skipped); `tok1d eval
 * merge` adds the parts up, so the merged means are those of one process
 * over every clip. File: `eval_video_state.json` in the part's folder.
 *
 * @example
 * ```ts
 * saveVideoEvaluationState("parts/0", state, { model: "m", data: "clips-{0..3}.tar", shard: "0/2" });
 * const { state: all } = loadVideoEvaluationStates(["parts/0", "parts/1"]);
 * ```
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { writeFileAtomic } from "../fs.ts";
import type { VideoEvaluationState } from "./evaluate_video.ts";

/** The file a video part holds. */
export const VIDEO_STATE = "eval_video_state.json";

/** What a part records of its run; parts must agree on everything but `shard` and `badImages`. */
export type VideoEvaluationMeta = Record<string, unknown> & { shard?: string; badImages?: unknown[] };

/** True when `dir` holds a video part. */
export const isVideoPart = (dir: string): boolean => existsSync(join(dir, VIDEO_STATE));

/** Writes one part (atomically). */
export function saveVideoEvaluationState(
  dir: string,
  state: VideoEvaluationState,
  meta: VideoEvaluationMeta,
): void {
  const points = state.points.map(({ params: _, ...p }) => p);
  writeFileAtomic(
    join(dir, VIDEO_STATE),
    JSON.stringify({ version: 1, ...state, points, meta }, null, 2) + "\n",
  );
}

/** Reads and adds up the parts in `dirs`; the merged meta lists every part's bad videos. */
export function loadVideoEvaluationStates(
  dirs: string[],
): { state: VideoEvaluationState; meta: VideoEvaluationMeta } {
  if (!dirs.length) throw new UsageError("eval merge: pass the folders of the --shard runs");
  let state: VideoEvaluationState | undefined, meta: VideoEvaluationMeta | undefined, same = "";
  for (const dir of dirs) {
    if (!isVideoPart(dir)) {
      throw new UsageError(
        `${dir}: no ${VIDEO_STATE} (not the --out folder of a tok1d eval --shard run on videos)`,
      );
    }
    const part = JSON.parse(readFileSync(join(dir, VIDEO_STATE), "utf8"));
    const { shard: _, badImages = [], ...rest } = part.meta as VideoEvaluationMeta;
    const key = JSON.stringify(rest) + JSON.stringify(part.points.map((p: { tokens: number }) => p.tokens));
    if (!state || !meta) {
      same = key;
      meta = { ...rest, badImages: [] };
      state = {
        videos: 0,
        clips: 0,
        frames: 0,
        points: part.points.map((p: { tokens: number; tokenSum?: number }) => ({
          tokens: p.tokens,
          psnr: 0,
          ssim: 0,
          l1: 0,
          ...(p.tokenSum === undefined ? {} : { tokenSum: 0 }),
        })),
        ...(part.blockCounts ? { blockCounts: {} } : {}),
        perImage: [],
      };
    } else if (key !== same) {
      throw new UsageError(
        `${dir}: this part ran with other settings than ${dirs[0]} (model, data or points differ)`,
      );
    }
    meta.badImages!.push(...badImages);
    state.videos += part.videos;
    state.clips += part.clips;
    state.frames += part.frames;
    part.points.forEach((p: { psnr: number; ssim: number; l1: number; tokenSum?: number }, i: number) => {
      const into = state!.points[i];
      into.psnr += p.psnr;
      into.ssim += p.ssim;
      into.l1 += p.l1;
      if (into.tokenSum !== undefined) into.tokenSum += p.tokenSum ?? NaN;
    });
    for (const [n, c] of Object.entries((part.blockCounts ?? {}) as Record<string, number>)) {
      state.blockCounts![Number(n)] = (state.blockCounts![Number(n)] ?? 0) + c;
    }
    state.perImage.push(...part.perImage);
  }
  if (!state!.clips) throw new UsageError(`eval merge: the parts ${dirs.join(" ")} scored no clip`);
  return { state: state!, meta: meta! };
}
