/**
 * Videos as items of a video tokenizer (`info.input.kind === "video"`, F
 * frames): each file is read (video.ts: sampled at `fps`, whole blocks) and cut
 * into clips of F frames, the last one padded by repeating its last frame;
 * clips are named `<file>#<k>` and come in batches. {@link VideoStitcher}
 * joins a file's clips back (padding dropped) and writes `<name>.mp4` with the
 * ground truth above the reconstruction.
 *
 * @example
 * ```ts
 * for await (const b of videoClips(["flower.mp4"], { size: 256, frames: 16, fps: 24, batch: 2 })) {
 *   const r = await tok.reconstruct(b.video);
 *   await stitcher.add(b, r.images);
 * }
 * ```
 * @module
 */
import { basename, extname, join } from "node:path";
import type { Tensor } from "../tensor.ts";
import type { BadImages } from "./bad_images.ts";
import { findFfmpeg, readVideo, type VideoReadOptions, writeVideo } from "./video.ts";
import { plainFile, type VideoSource } from "./video_sources.ts";
import { UsageError } from "../errors.ts";

/** A batch of clips. */
export interface ClipBatch {
  /** (B, F, 3, size, size) in [0, 1]. */
  video: Tensor<"float32">;
  /** `<file>#<clip>` per clip. */
  sources: string[];
  /** The file of each clip. */
  files: string[];
  /** Real (unpadded) frames of each clip. */
  frames: number[];
}

/** Options of {@link videoClips}. */
export interface ClipOptions {
  size: number;
  /** Frames per clip (the tokenizer's `input.frames`). */
  frames: number;
  /** Frames per block (the clip's frames are whole blocks). */
  block?: number;
  fps?: number;
  /** Clips per batch. */
  batch: number;
  /** Frame transform (the model's `Plugin.inputTransform`). */
  transform?: VideoReadOptions["transform"];
  /**
   * The shared bad-input policy: a video ffmpeg cannot read (or too short for
   * a block) is reported there and skipped, or stops the run when strict.
   * Without it, the first such video stops the run.
   */
  badImages?: BadImages;
}

/** Streams clips of the files (paths, or a video source) in batches (one file's frames in memory at a time, plus a batch). */
export async function* videoClips(files: string[] | VideoSource, o: ClipOptions): AsyncGenerator<ClipBatch> {
  const per = 3 * o.size * o.size;
  let pending: { data: Float32Array; source: string; file: string; frames: number }[] = [];
  const flush = (): ClipBatch => {
    const data = new Float32Array(pending.length * o.frames * per);
    pending.forEach((c, i) => data.set(c.data, i * o.frames * per));
    const b: ClipBatch = {
      video: { dtype: "float32", shape: [pending.length, o.frames, 3, o.size, o.size], data },
      sources: pending.map((c) => c.source),
      files: pending.map((c) => c.file),
      frames: pending.map((c) => c.frames),
    };
    pending = [];
    return b;
  };
  findFfmpeg(); // its absence stops the run (exit 2), never counts as a bad video
  const items = Array.isArray(files) ? files.map(plainFile) : files.files();
  for await (const item of items) {
    const file = item.name;
    let v: Tensor<"float32">;
    try {
      v = (await readVideo(item.path, { size: o.size, fps: o.fps, block: o.block, transform: o.transform }))
        .video;
    } catch (e) {
      if (!o.badImages || !(e instanceof UsageError)) throw e;
      o.badImages.report(file, (e as Error).message.replace(`${item.path}: `, ""), "video"); // throws when strict
      continue;
    } finally {
      item.release();
    }
    const total = v.shape[1];
    for (let k = 0; k * o.frames < total; k++) {
      const real = Math.min(o.frames, total - k * o.frames);
      const clip = new Float32Array(o.frames * per);
      clip.set(v.data.subarray(k * o.frames * per, (k * o.frames + real) * per));
      for (let f = real; f < o.frames; f++) clip.copyWithin(f * per, (real - 1) * per, real * per);
      pending.push({ data: clip, source: `${file}#${k}`, file, frames: real });
      if (pending.length === o.batch) yield flush();
    }
  }
  if (pending.length) yield flush();
}

/**
 * The output name (no extension) of a video input: its base name, a shard member's as
 * `<shard>_<member>` (no `:` — not a valid file-name character everywhere), and `-2`, `-3`, …
 * when an earlier input of the same run took the name, so no output overwrites another.
 */
export function videoOutputName(file: string, taken: Set<string>): string {
  const member = file.match(/^(.*)\.tar:(.+)$/);
  const stem = (p: string) => basename(p, extname(p));
  const base = (member ? `${stem(member[1] + ".tar")}_${stem(member[2])}` : stem(file)).replace(
    /[:\\]/g,
    "_",
  );
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}-${k}`;
  taken.add(name);
  return name;
}

/** Joins each file's clips (originals and reconstructions) and writes `<dir>/<name>.mp4`, originals on top. */
export class VideoStitcher {
  private file?: string;
  private parts: { gt: Float32Array; rec: Float32Array; frames: number }[] = [];
  private readonly names = new Set<string>();
  readonly written: string[] = [];

  constructor(private readonly dir: string, private readonly size: number, private readonly fps = 24) {}

  /** Adds a batch of clips and their reconstructions (B, F, 3, size, size). */
  async add(b: ClipBatch, recon: Tensor): Promise<void> {
    const per = 3 * this.size * this.size;
    const f = b.video.shape[1];
    for (let i = 0; i < b.sources.length; i++) {
      if (this.file !== undefined && b.files[i] !== this.file) await this.finishFile();
      this.file = b.files[i];
      const frames = b.frames[i];
      this.parts.push({
        gt: b.video.data.slice(i * f * per, (i * f + frames) * per),
        rec: (recon.data as Float32Array).slice(i * f * per, (i * f + frames) * per),
        frames,
      });
    }
  }

  /** Writes the last file. Returns the paths written. */
  async finish(): Promise<string[]> {
    if (this.file !== undefined) await this.finishFile();
    return this.written;
  }

  private async finishFile(): Promise<void> {
    const s = this.size;
    const t = this.parts.reduce((a, p) => a + p.frames, 0);
    // (T, 3, 2s, s): each frame's ground truth rows above its reconstruction rows.
    const out = new Float32Array(t * 3 * 2 * s * s);
    let frame = 0;
    for (const p of this.parts) {
      for (let k = 0; k < p.frames; k++, frame++) {
        for (let c = 0; c < 3; c++) {
          const src = (k * 3 + c) * s * s;
          const dst = (frame * 3 + c) * 2 * s * s;
          out.set(p.gt.subarray(src, src + s * s), dst);
          out.set(p.rec.subarray(src, src + s * s), dst + s * s);
        }
      }
    }
    const path = join(this.dir, `${videoOutputName(this.file!, this.names)}.mp4`);
    await writeVideo(path, { dtype: "float32", shape: [t, 3, 2 * s, s], data: out }, this.fps);
    this.written.push(path);
    this.parts = [];
    this.file = undefined;
  }
}
