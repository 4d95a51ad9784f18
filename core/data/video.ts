/**
 * Video files through ffmpeg (found on PATH, or `$TOK1D_FFMPEG`; ffprobe beside
 * it), read as ElasticTok's data pipeline reads them (`elastic/data.py`,
 * `_process_video`, decord): n = int(frames / fps · target_fps) indices
 * `linspace(0, frames − 1, n)` (truncated), the first ⌊n/block⌋·block of
 * them; each frame's shorter side resized to `size` and centre-cropped with
 * the model's transform (ElasticTok: Pillow bilinear, upstream's
 * `int(long · size/short)` one-short rounded up, crop at ⌊(side − size)/2⌋;
 * resize.ts `rounding: "floor"`). Frames stream from ffmpeg one at a time;
 * only the kept ones, cropped, are held.
 *
 * {@link writeVideo} encodes frames (T,3,H,W) in [0, 1] to an H.264 `.mp4`.
 *
 * @example
 * ```ts
 * const v = await readVideo("flower.mp4", { size: 256, fps: 24, block: 4, transform: { filter: "bilinear", rounding: "floor" } });
 * v.video.shape; // [1, F, 3, 256, 256], F a multiple of 4
 * await writeVideo("out.mp4", v.video, 24);
 * ```
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, dirname, extname, join } from "node:path";
import process from "node:process";
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { resizeCenterCrop } from "./resize.ts";
import { type TransformOptions, writeChw } from "./transform.ts";

/** File extensions read as video. */
export const VIDEO_EXTENSIONS: readonly string[] = [".mp4", ".webm", ".avi", ".mov", ".mkv", ".m4v"];

/** True for a path with a video extension. */
export const isVideoPath = (p: string): boolean => VIDEO_EXTENSIONS.includes(extname(p).toLowerCase());

const MISSING = "video needs ffmpeg and ffprobe: install the Debian package 'ffmpeg' " +
  "(apt-get install ffmpeg) or set TOK1D_FFMPEG to an ffmpeg binary with ffprobe beside it";

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** ffmpeg and ffprobe: `$TOK1D_FFMPEG` (ffprobe beside it or on PATH), else both on PATH; exit-2 error otherwise. */
export function findFfmpeg(): { ffmpeg: string; ffprobe: string } {
  const env = process.env.TOK1D_FFMPEG;
  if (env) {
    if (!executable(env)) throw new UsageError(`TOK1D_FFMPEG=${env} is not an executable file; ${MISSING}`);
    const beside = join(dirname(env), "ffprobe");
    const ffprobe = existsSync(beside) ? beside : onPath("ffprobe");
    if (!ffprobe) throw new UsageError(`no ffprobe beside ${env} or on PATH; ${MISSING}`);
    return { ffmpeg: env, ffprobe };
  }
  const ffmpeg = onPath("ffmpeg"), ffprobe = onPath("ffprobe");
  if (!ffmpeg || !ffprobe) throw new UsageError(MISSING);
  return { ffmpeg, ffprobe };
}

/** Frame count (decoded), average frame rate and size of a file's first video stream. */
export function probeVideo(path: string): { frames: number; fps: number; width: number; height: number } {
  const { ffprobe } = findFfmpeg();
  const r = spawnSync(ffprobe, [
    "-v",
    "error",
    "-select_streams",
    "v:0",
    "-count_frames",
    "-show_entries",
    "stream=nb_read_frames,avg_frame_rate,width,height",
    "-of",
    "json",
    path,
  ], { encoding: "utf8", maxBuffer: 1 << 20 });
  const s = r.status === 0 ? JSON.parse(r.stdout).streams?.[0] : undefined;
  if (!s) throw new UsageError(`${path}: not a readable video (${(r.stderr || "no video stream").trim()})`);
  const [num, den] = String(s.avg_frame_rate).split("/").map(Number);
  const fps = den ? num / den : num;
  const frames = Number(s.nb_read_frames);
  if (!(frames > 0) || !(fps > 0)) {
    throw new UsageError(`${path}: no decodable frames (fps ${s.avg_frame_rate})`);
  }
  return { frames, fps, width: Number(s.width), height: Number(s.height) };
}

/** Frame indices upstream keeps: int(linspace(0, frames−1, n)) for n = int(frames/fps·target), whole blocks. */
export function sampleIndices(frames: number, fps: number, target: number, block: number): number[] {
  const n = Math.trunc((frames / fps) * target);
  const step = n > 1 ? (frames - 1) / (n - 1) : 0;
  const all = Array.from({ length: n }, (_, i) => Math.trunc(i === n - 1 && n > 1 ? frames - 1 : i * step));
  return all.slice(0, Math.floor(n / block) * block);
}

/** Options of {@link readVideo}. */
export interface VideoReadOptions {
  /** Frame side after resize and crop. */
  size: number;
  /** Frames per second to sample (ElasticTok inference: 24). */
  fps?: number;
  /** Frames per block: the frame count is a multiple of it. */
  block?: number;
  /**
   * How each frame becomes size × size (shorter side resized, centre crop):
   * the model's image transform (`Plugin.inputTransform`); default torchvision's bicubic.
   */
  transform?: Pick<TransformOptions, "filter" | "rounding">;
}

/** Reads a video into (1, F, 3, size, size) float32 in [0, 1] (see the module doc). */
export async function readVideo(
  path: string,
  o: VideoReadOptions,
): Promise<{ video: Tensor<"float32">; sourceFps: number; indices: number[] }> {
  const { ffmpeg } = findFfmpeg();
  const p = probeVideo(path);
  const block = o.block ?? 4;
  const indices = sampleIndices(p.frames, p.fps, o.fps ?? 24, block);
  if (!indices.length) {
    throw new UsageError(
      `${path}: ${p.frames} frames at ${p.fps.toFixed(2)} fps give no block of ${block} frames`,
    );
  }
  const want = new Map<number, number[]>();
  indices.forEach((f, i) => want.set(f, [...(want.get(f) ?? []), i]));
  const per = 3 * o.size * o.size;
  const out = new Float32Array(indices.length * per);
  const frameBytes = p.width * p.height * 3;
  const child = spawn(ffmpeg, [
    "-v",
    "error",
    "-noautorotate",
    "-i",
    path,
    "-map",
    "0:v:0",
    "-fps_mode",
    "passthrough",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "rgb24",
    "pipe:1",
  ], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  let buf = new Uint8Array(frameBytes);
  let fill = 0, frame = 0, filled = 0;
  for await (const chunk of child.stdout as AsyncIterable<Uint8Array>) {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, frameBytes - fill);
      buf.set(chunk.subarray(at, at + n), fill);
      fill += n;
      at += n;
      if (fill === frameBytes) {
        const slots = want.get(frame);
        if (slots) {
          const img = resizeCenterCrop(
            { data: buf, width: p.width, height: p.height },
            o.size,
            o.transform?.filter,
            o.transform?.rounding,
          );
          for (const s of slots) writeChw(img, out, s * per);
          filled += slots.length;
          buf = new Uint8Array(frameBytes);
        }
        frame++;
        fill = 0;
      }
    }
  }
  const code: number = await new Promise((res) => child.on("close", (c) => res(c ?? 1)));
  if (code !== 0) throw new UsageError(`${path}: ffmpeg failed (${err.trim() || `exit ${code}`})`);
  if (filled !== indices.length) {
    throw new UsageError(`${path}: ffmpeg decoded ${frame} frames, ffprobe counted ${p.frames}`);
  }
  return {
    video: { dtype: "float32", shape: [1, indices.length, 3, o.size, o.size], data: out },
    sourceFps: p.fps,
    indices,
  };
}

/** Writes frames (T,3,H,W) in [0,1] (clamped) as an H.264 `.mp4` at `fps`. */
export async function writeVideo(path: string, frames: Tensor, fps = 24): Promise<void> {
  const { ffmpeg } = findFfmpeg();
  const [t, , h, w] = frames.shape;
  const child = spawn(ffmpeg, [
    "-v",
    "error",
    "-y",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "rgb24",
    "-s",
    `${w}x${h}`,
    "-r",
    String(fps),
    "-i",
    "pipe:0",
    "-c:v",
    "libx264",
    "-crf",
    "12",
    "-pix_fmt",
    "yuv420p",
    "-vf",
    "pad=ceil(iw/2)*2:ceil(ih/2)*2",
    path,
  ], { stdio: ["pipe", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const done: Promise<number> = new Promise((res) => child.on("close", (c) => res(c ?? 1)));
  const src = frames.data as Float32Array;
  const n = h * w;
  for (let f = 0; f < t; f++) {
    const rgb = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) {
        const v = src[(f * 3 + c) * n + i];
        rgb[i * 3 + c] = Math.round(255 * (v > 0 ? (v < 1 ? v : 1) : 0));
      }
    }
    if (!child.stdin.write(rgb)) await new Promise((r) => child.stdin.once("drain", r));
  }
  child.stdin.end();
  const code = await done;
  if (code !== 0) throw new Error(`ffmpeg could not write ${path}: ${err.trim() || `exit ${code}`}`);
}

/** Whether ffmpeg can be found (tests that need it skip without it). */
export function ffmpegAvailable(): boolean {
  try {
    findFfmpeg();
    return true;
  } catch {
    return false;
  }
}
