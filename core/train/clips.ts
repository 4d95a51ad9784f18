/**
 * Training clips for a video model (`info.input.kind === "video"`): the
 * videos of `--data` (files, folders, webdataset shards of video members;
 * core/data/video_sources.ts) are read through the same pipeline as encode
 * (ffmpeg, sampled at `fps`, resized and cropped with the family's
 * transform), and each step takes, per item, a random video and a random
 * temporal crop of F consecutive frames. Both draws depend only on (seed,
 * step, item), over the videos in a fixed order (sorted files; shards and
 * their members in archive order), so a resumed run sees the same clips.
 * Decoded videos are kept (at model size) up to `maxCachedBytes` (default
 * 1 GiB), least recently used dropped first: a miss costs an ffmpeg run (and,
 * for a shard member, copying that one member out of its shard again; shards
 * are never extracted), so a data set that fits is decoded once. Unreadable
 * videos go through the shared bad-input policy (`badImages`).
 * @module
 */
import { UsageError } from "../errors.ts";
import { Rng } from "../init.ts";
import type { InputTransform } from "../plugin.ts";
import { mixSeed } from "../data/shuffle.ts";
import type { Tensor } from "../tensor.ts";
import type { BadImages } from "../data/bad_images.ts";
import { findFfmpeg, readVideo } from "../data/video.ts";
import { openVideoSource, type VideoFile } from "../data/video_sources.ts";
import type { ImageBatches } from "./feeds.ts";

/** Options of {@link openClipBatches}. */
export interface ClipBatchOptions {
  size: number;
  /** Frames per clip (the model's `input.frames`). */
  frames: number;
  batch: number;
  seed: number;
  /** Sampling rate the videos are read at (default 24, as encode). */
  fps?: number;
  transform?: InputTransform;
  /** Bytes of decoded frames kept in memory (default 1 GiB). */
  maxCachedBytes?: number;
  /** The shared bad-input policy: unreadable videos are skipped and counted (or stop the run when strict). */
  badImages?: BadImages;
}

/** Seeded clip batches (B, F, 3, size, size) by step; see the module doc. */
export async function openClipBatches(data: string, o: ClipBatchOptions): Promise<ImageBatches> {
  const src = await openVideoSource([data]);
  if (!src) throw new UsageError(`--data ${data}: a video model trains on video files (.mp4, .webm, …)`);
  const videos: VideoFile[] = [];
  const lengths: number[] = [];
  const cache = new Map<number, Float32Array>();
  const per = 3 * o.size * o.size;
  const maxFrames = Math.floor((o.maxCachedBytes ?? 2 ** 30) / (4 * per));
  const read = async (f: VideoFile) => {
    const v = await readVideo(f.path, { size: o.size, fps: o.fps, block: 1, transform: o.transform });
    return v.video.data;
  };
  findFfmpeg(); // its absence stops the run (exit 2), never counts as a bad video
  // One pass to learn the lengths (and warm the cache); a shard member is copied out once here.
  for await (const f of src.files()) {
    let frames: Float32Array;
    try {
      frames = await read(f);
    } catch (e) {
      if (!o.badImages || !(e instanceof UsageError)) throw e;
      o.badImages.report(f.name, (e as Error).message.replace(`${f.path}: `, ""), "video"); // throws when strict
      continue;
    } finally {
      f.release();
    }
    if (frames.length / per < o.frames) {
      console.error(
        `warning: ${f.name}: ${frames.length / per} frames, fewer than a clip of ${o.frames} (skipped)`,
      );
      continue;
    }
    remember(cache, videos.length, frames, maxFrames, per);
    videos.push(f);
    lengths.push(frames.length / per);
  }
  if (!videos.length) throw new UsageError(`--data ${data}: no video holds a clip of ${o.frames} frames`);
  const frames = async (i: number) => {
    const hit = cache.get(i);
    if (hit) {
      cache.delete(i);
      cache.set(i, hit); // most recently used last
      return hit;
    }
    const f = await videos[i].reopen(); // a shard member: copied out of its shard again
    let v: Float32Array;
    try {
      v = await read(f);
    } finally {
      f.release();
    }
    remember(cache, i, v, maxFrames, per);
    return v;
  };
  return {
    async at(step: number): Promise<Tensor> {
      const out = new Float32Array(o.batch * o.frames * per);
      for (let i = 0; i < o.batch; i++) {
        const rng = new Rng(mixSeed(o.seed, step, i));
        const v = Math.floor(rng.next() * videos.length);
        const start = Math.floor(rng.next() * (lengths[v] - o.frames + 1));
        const all = await frames(v);
        out.set(all.subarray(start * per, (start + o.frames) * per), i * o.frames * per);
      }
      return { dtype: "float32", shape: [o.batch, o.frames, 3, o.size, o.size], data: out };
    },
    close: () => Promise.resolve(),
  };
}

/** Caches `frames` under `key`, dropping the least recently used entries past `max` frames. */
function remember(
  cache: Map<number, Float32Array>,
  key: number,
  frames: Float32Array,
  max: number,
  per: number,
) {
  cache.set(key, frames);
  let total = 0;
  for (const v of cache.values()) total += v.length / per;
  for (const [k, v] of cache) {
    if (total <= max || k === key) break;
    cache.delete(k);
    total -= v.length / per;
  }
}
