/**
 * The batch of each step, assembled from the feeds a loss declares
 * (`LossParts.feeds`): the image batch from the data (a flat folder of photos
 * gives random multi-scale crops held in memory; shards, brace patterns and
 * ImageNet-style trees stream through the dataset reader), standard-normal
 * noise, and generators a family supplies for its own inputs. Everything
 * depends only on (seed, step), so a resumed run sees the same batches.
 * @module
 */
import type { BadImages } from "../data/bad_images.ts";
import { existsSync, readdirSync, statSync } from "node:fs";
import type { Feed, TrainStep } from "../autodiff/train_step.ts";
import { Rng } from "../init.ts";
import type { InputTransform } from "../plugin.ts";
import type { Tensor } from "../tensor.ts";
import { UsageError } from "../errors.ts";
import { CropSampler } from "./crops.ts";
import { StreamSampler } from "./stream.ts";

/** Image batches by step. */
export interface ImageBatches {
  at(step: number): Promise<Tensor>;
  close(): Promise<void>;
}

/** The refusal of `--crop-scales` for data that is not a photo folder. */
export function streamedCropScales(data: string): UsageError {
  return new UsageError(
    `--crop-scales: applies to a folder of photos; --data ${data} streams (shards, a class tree or videos), ` +
      `one random crop per decoded image or clip`,
  );
}

/** Whether `data` is a flat folder of photos (random multi-scale crops held in memory), not streamed data. */
export function isPhotoFolder(data: string): boolean {
  return existsSync(data) && statSync(data).isDirectory() &&
    readdirSync(data).some((f) => /\.(png|jpe?g|webp)$/i.test(f));
}

/**
 * Opens `data` (photos folder, tree, shards or brace pattern) as seeded batches of `batch` crops of `size`²,
 * resized with `transform` (the family's `Plugin.inputTransform`; default bicubic, torchvision's rounding).
 * `cropScales` sets the scales of a photo folder's crops (core/train/crops.ts); other data refuses them.
 */
export async function openImageBatches(
  data: string,
  size: number,
  batch: number,
  seed: number,
  badImages?: BadImages,
  transform?: InputTransform,
  cropScales?: readonly number[],
): Promise<ImageBatches> {
  if (isPhotoFolder(data)) {
    const sampler = await CropSampler.fromFolder(data, size, seed, badImages, transform, cropScales);
    return { at: (s) => Promise.resolve(sampler.batch(s, batch)), close: () => Promise.resolve() };
  }
  if (cropScales) throw streamedCropScales(data);
  const stream = new StreamSampler(data, size, batch, seed, undefined, undefined, badImages, transform);
  return { at: (s) => stream.batchAt(s), close: () => stream.close() };
}

/** Standard-normal draws times `scale`, fixed by `seed`. */
export function normal(shape: number[], seed: number, scale = 1): Tensor {
  const rng = new Rng(seed >>> 0);
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: "float32", shape, data: Float32Array.from({ length: n }, () => scale * rng.normal()) };
}

/** What the feeds draw on. */
export interface FeedSources {
  /** The data's image batches (needed when a feed is `images` or a custom feed asks for them). */
  images?: ImageBatches;
  seed: number;
  /** Multiplies every `normal` feed's scale (0: no noise, e.g. a VAE trained on its posterior mean). */
  noiseScale?: number;
  /** Micro-batches per optimiser step (gradient accumulation; default 1). */
  accumulate?: number;
}

/** The feed of every batch input of `step`; an undeclared one is the family's bug, named. */
export function declaredFeeds(step: TrainStep): [string, Feed][] {
  return step.batchInputs.map((v) => {
    const feed = step.feeds[v.name];
    if (!feed) {
      throw new Error(
        `train step ${step.graph.name}: batch input ${v.name} has no declared feed (LossParts.feeds)`,
      );
    }
    return [v.name, feed];
  });
}

/**
 * The batch function of a run: input name → tensor for micro-batch `micro`
 * of step s, whose data index is i = s·N + micro. The k-th `normal` feed
 * draws from seed·7 + i + k·1000003.
 */
export function batchFeeder(
  step: TrainStep,
  o: FeedSources,
): (s: number, micro?: number) => Promise<Record<string, Tensor>> {
  const feeds = declaredFeeds(step);
  const inputs = new Map(step.batchInputs.map((v) => [v.name, v]));
  const noiseScale = o.noiseScale ?? 1;
  const n = o.accumulate ?? 1;
  return async (s, micro = 0) => {
    const index = s * n + micro;
    let images: Promise<Tensor> | undefined;
    const imagesAt = () => {
      if (!o.images) {
        throw new Error(`train step ${step.graph.name}: a feed needs images but the run has no data`);
      }
      return images ??= o.images.at(index);
    };
    const out: Record<string, Tensor> = {};
    let k = 0;
    for (const [name, feed] of feeds) {
      const input = inputs.get(name)!;
      if (feed.kind === "images") out[name] = await imagesAt();
      else if (feed.kind === "normal") {
        const seed = o.seed * 7 + index + 1_000_003 * k++;
        out[name] = normal(input.shape as number[], seed, (feed.scale ?? 1) * noiseScale);
      } else out[name] = await feed.generate({ input, step: s, micro, seed: o.seed, images: imagesAt });
    }
    return out;
  };
}

/** Name of the input fed the image batch (the GAN's real images), if any. */
export function imagesInput(step: TrainStep): string | undefined {
  return Object.entries(step.feeds).find(([, f]) => f.kind === "images")?.[0];
}
