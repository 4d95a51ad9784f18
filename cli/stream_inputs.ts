/**
 * How `encode` and `reconstruct` read their inputs: the sources (videos when
 * the inputs hold them, else images) and the loop that streams them, one batch
 * at a time, into a command's step — images through the dataset reader, videos
 * as clips of the model's frame count. Unreadable inputs go through the shared
 * bad-input policy (core/data/bad_images.ts) either way.
 * @module
 */
import { BadImages, skippedLine } from "../core/data/bad_images.ts";
import { type ImageSource, openImageSource } from "../core/data/reader.ts";
import { type ClipBatch, videoClips } from "../core/data/video_clips.ts";
import { openVideoSource, type VideoSource } from "../core/data/video_sources.ts";
import { parseShardFlag } from "../core/data/shard_slice.ts";
import { UsageError } from "../core/errors.ts";
import type { Tensor } from "../core/tensor.ts";
import type { Tokenizer } from "../core/tokenizer.ts";
import { intFlag, Progress } from "./common.ts";
import type { EncodeFlags } from "./encode.ts";

/** Videos when the inputs hold them (files, folders, video shards); else the image source. */
export async function openSource(
  inputs: string[],
  f: EncodeFlags,
  bad: BadImages,
): Promise<ImageSource | VideoSource> {
  const videos = await openVideoSource(inputs, f.shard === undefined ? undefined : parseShardFlag(f.shard));
  if (videos) {
    // Image-only flags are refused rather than ignored: the run would not do what the line says.
    if (f.resize === false) {
      throw new UsageError(
        "--no-resize: applies to images; video frames are always resized (shorter side) and centre-cropped",
      );
    }
    if (f.workers !== undefined) {
      throw new UsageError(
        "--workers: sets image-decoding threads; videos are decoded by ffmpeg, one at a time",
      );
    }
  }
  return videos ?? await openImageSource(inputs, { shard: f.shard, badImages: bad });
}

/** What {@link streamInputs} went through: items (images or clips) and, for video inputs, the videos read. */
export interface Streamed {
  items: number;
  /** Videos encoded (each one or more clips); with the bad ones skipped, the videos of the inputs. */
  videos?: number;
}

/**
 * Streams the inputs through `step`, one batch at a time. A video that cannot
 * be read (a damaged shard member, a file ffmpeg refuses) goes to `bad` as an
 * unreadable image does: skipped and counted, or the end of the run (exit 2) when strict.
 */
export async function streamInputs(
  source: ImageSource | VideoSource,
  tok: Tokenizer,
  f: EncodeFlags,
  label: string,
  bad: BadImages,
  step: (images: Tensor<"float32">, keys: string[], sources: string[], clips?: ClipBatch) => Promise<void>,
): Promise<Streamed> {
  const input = tok.info.input;
  if ("files" in source || input.kind === "video") {
    if (!("files" in source) || input.kind !== "video") {
      throw new UsageError(
        input.kind === "video"
          ? `${label}: ${tok.info.family}/${tok.info.variant} takes video files (.mp4, .webm, .avi, …)`
          : `${label}: video files need a video model (${tok.info.variant} takes images; e.g. elastictok/fsq_video)`,
      );
    }
    const frames = (tok.model.config as { frames_per_block?: number }).frames_per_block;
    let n = 0, videos = 0, last: string | undefined;
    for await (
      const b of videoClips(source, {
        size: input.height,
        frames: input.frames,
        block: frames,
        fps: f.fps === undefined ? 24 : intFlag(f.fps, "--fps"),
        batch: intFlag(f.batchSize, "--batch-size", 8)!,
        transform: tok.model.plugin.inputTransform,
        badImages: bad,
      })
    ) {
      await step(b.video, b.sources, b.sources, b);
      n += b.sources.length;
      // A video's clips come together (in order, possibly across batches): count each file once.
      for (const file of b.files) {
        if (file !== last) videos++;
        last = file;
      }
    }
    if (!n) throw new UsageError(`${label}: the inputs held no readable videos`);
    return { items: n, videos };
  }
  const progress = source.count ? new Progress(label, source.count, f.json) : undefined;
  const size = tok.info.imageSize;
  const bs = intFlag(f.batchSize, "--batch-size", 8)!;
  let done = 0;
  for await (
    const b of source.batches(bs, {
      size,
      resize: f.resize === false ? "none" : "shorter",
      crop: "center",
      ...tok.model.plugin.inputTransform,
      workers: intFlag(f.workers, "--workers", 1),
    })
  ) {
    await step(b.images, b.keys, b.sources);
    done += b.images.shape[0];
    progress?.update(done);
  }
  if (!done) throw new UsageError(`${label}: the inputs held no readable images`);
  return { items: done };
}

/** The line on skipped inputs (stderr), or undefined when none was skipped; videos say how many there were. */
export function skippedSummary(bad: BadImages, streamed: Streamed): string | undefined {
  if (streamed.videos === undefined) return bad.line();
  return skippedLine(bad.count, { noun: "video", of: streamed.videos + bad.count });
}
