/**
 * Training clips for a video model (`info.input.kind === "video"`): the
 * videos of `--data` (files, folders, video shards; core/data/video_sources.ts)
 * are read through the same pipeline as encode (ffmpeg, sampled at `fps`,
 * resized and cropped with the family's transform), and each step takes, per
 * item, a random video and a random temporal crop of F consecutive frames.
 * Both draws depend only on (seed, step, item), so a resumed run sees the
 * same clips. Decoded videos are kept (at model size) up to `maxCachedBytes`
 * (default 1 GiB), least recently used dropped first: a miss costs an ffmpeg
 * run, so a data set that fits is decoded once.
 * @module
 */
import { UsageError } from "../errors.ts";
import { Rng } from "../init.ts";
import type { InputTransform } from "../plugin.ts";
import { mixSeed } from "../data/shuffle.ts";
import type { Tensor } from "../tensor.ts";
import { readVideo } from "../data/video.ts";
import { openVideoSource } from "../data/video_sources.ts";
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
}

/** Seeded clip batches (B, F, 3, size, size) by step; see the module doc. */
export async function openClipBatches(data: string, o: ClipBatchOptions): Promise<ImageBatches> {
  const src = await openVideoSource([data]);
  if (!src) throw new UsageError(`--data ${data}: a video model trains on video files (.mp4, .webm, …)`);
  if (src.kind === "shards") {
    throw new UsageError(`--data ${data}: train on video files or folders, not shards`);
  }
  const names: string[] = [];
  const lengths: number[] = [];
  const cache = new Map<string, Float32Array>();
  const per = 3 * o.size * o.size;
  const maxFrames = Math.floor((o.maxCachedBytes ?? 2 ** 30) / (4 * per));
  const read = async (path: string) => {
    const v = await readVideo(path, { size: o.size, fps: o.fps, block: 1, transform: o.transform });
    return v.video.data;
  };
  // One pass to learn the lengths (and warm the cache); shard members are read once here.
  for await (const f of src.files()) {
    try {
      const frames = await read(f.path);
      if (frames.length / per < o.frames) {
        console.error(
          `warning: ${f.name}: ${frames.length / per} frames, fewer than a clip of ${o.frames} (skipped)`,
        );
        continue;
      }
      names.push(f.path);
      lengths.push(frames.length / per);
      remember(cache, f.path, frames, maxFrames, per);
    } finally {
      f.release();
    }
  }
  if (!names.length) throw new UsageError(`--data ${data}: no video holds a clip of ${o.frames} frames`);
  const frames = async (i: number) => {
    const hit = cache.get(names[i]);
    if (hit) {
      cache.delete(names[i]);
      cache.set(names[i], hit); // most recently used last
      return hit;
    }
    const v = await read(names[i]);
    remember(cache, names[i], v, maxFrames, per);
    return v;
  };
  return {
    async at(step: number): Promise<Tensor> {
      const out = new Float32Array(o.batch * o.frames * per);
      for (let i = 0; i < o.batch; i++) {
        const rng = new Rng(mixSeed(o.seed, step, i));
        const v = Math.floor(rng.next() * names.length);
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
  cache: Map<string, Float32Array>,
  key: string,
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
