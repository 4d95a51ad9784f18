/**
 * The dataset reader `tok1d train` and `tok1d eval` call: a spec (folder of
 * images, ImageNet-style tree, `.tar` shard, folder of shards or brace
 * pattern) → batches of float32 `[B, 3, S, S]` images in [0, 1], with labels
 * where the data has them and the sample keys.
 *
 * Decoding and the transform (`transform.ts`) run in worker threads; results
 * are put back in stream order, and every random choice (file or shard order,
 * shuffle buffer, crop, flip) derives from `seed` and `epoch`, so a seed gives
 * the same batches on every run and with any number of workers. Unreadable or
 * corrupt samples are skipped with a warning (or fail the run with
 * `onError: "throw"`).
 *
 * @example
 * ```ts
 * import { openImageSource } from "./reader.ts";
 * const src = await openImageSource("shards/imagenet-train-{000000..000320}.tar", { shard: "0/8" });
 * for await (const { images, labels, keys } of src.batches(32, { size: 256, crop: "random", flip: true, seed: 1, shuffleBuffer: 1000, workers: 2 })) {
 *   console.log(images.shape, labels?.[0], keys[0]);
 * }
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";
import type { BadImages } from "./bad_images.ts";
import { Rng } from "../init.ts";
import type { Tensor } from "../tensor.ts";
import { DecodePool, DecodeWorkerError } from "./decode_pool.ts";
import { mapOrdered } from "./ordered.ts";
import { parseShardFlag, type ShardSlice, WHOLE } from "./shard_slice.ts";
import { mixSeed, shuffleBuffer } from "./shuffle.ts";
import { type SourceItem, sourceItems } from "./sources.ts";
import { resolveSources } from "./source_list.ts";
import { checkTransform, type TransformOptions } from "./transform.ts";

/** Options of {@link openImageSource}. */
export interface OpenOptions {
  /** This process's part of the data: "K/N" or `{ index, count }` (K from 0). */
  shard?: string | ShardSlice;
  /** "skip" (default): warn and go on; "throw": stop at the first bad sample. */
  onError?: "skip" | "throw";
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
  /** The shared bad-image policy (bad_images.ts): skips are reported and counted there; strict stops. */
  badImages?: BadImages;
}

/** Options of {@link ImageSource.batches}: the transform plus ordering and parallelism. */
export interface BatchOptions extends TransformOptions {
  /** Seed of every random choice (default 0). */
  seed?: number;
  /** Epoch number, mixed into the seed so that epochs differ (default 0). */
  epoch?: number;
  /**
   * 0 (default): input order. > 0: shuffle — folders get a full permutation,
   * shards a shuffled shard order plus a buffer of this many samples.
   */
  shuffleBuffer?: number;
  /** Decoding threads (default 0: the calling thread). */
  workers?: number;
  /** Drop a last batch smaller than `batchSize` (default false). */
  dropLast?: boolean;
}

/** One batch. */
export interface ImageBatch {
  /** float32 `[B, 3, size, size]` in [0, 1]. */
  images: Tensor<"float32">;
  /** Class indices (−1 where a sample has none), when the source is labelled. */
  labels?: Int32Array;
  keys: string[];
  /** Where each sample came from: a file path, or `shard.tar:key`. */
  sources: string[];
}

/** An opened dataset. */
export interface ImageSource {
  kind: "shards" | "tree" | "folder";
  /** Samples in this part, when known without reading (folders; shards with a manifest). */
  count?: number;
  /** Class names (ImageNet-style trees). */
  classes?: string[];
  /** Batches in a deterministic order for the seed. */
  batches(batchSize: number, options: BatchOptions): AsyncIterable<ImageBatch>;
}

/**
 * Opens a dataset for reading.
 *
 * @example
 * ```ts
 * const val = await openImageSource("/data/imagenet/val"); // class folders → labels
 * console.log(val.count, val.classes?.length);
 * ```
 */
export function openImageSource(
  spec: string | readonly string[],
  options: OpenOptions = {},
): Promise<ImageSource> {
  try {
    return Promise.resolve(open(spec, options));
  } catch (e) {
    return Promise.reject(e);
  }
}

function open(spec: string | readonly string[], options: OpenOptions): ImageSource {
  const slice = typeof options.shard === "string" ? parseShardFlag(options.shard) : options.shard ?? WHOLE;
  const warn = options.warn ?? ((m: string) => console.error(`warning: ${m}`));
  const src = resolveSources(spec);
  const labelled = src.kind !== "folder";
  const source: ImageSource = {
    kind: src.kind,
    count: sourceItems(src, { slice }).count,
    classes: src.classes,
    async *batches(batchSize: number, o: BatchOptions) {
      if (!Number.isInteger(batchSize) || batchSize <= 0) {
        throw new UsageError(`batch size: must be a positive integer, got ${batchSize}`);
      }
      checkTransform(o);
      const seed = mixSeed(o.seed ?? 0, o.epoch ?? 0);
      const shuffle = (o.shuffleBuffer ?? 0) > 0;
      const { items } = sourceItems(src, {
        slice,
        rng: shuffle ? new Rng(mixSeed(seed, 1)) : undefined,
        onProblem: options.onError === "throw" || options.badImages?.strict
          ? (m) => {
            throw new UsageError(m);
          }
          : warn,
      });
      const stream = shuffle && src.kind === "shards"
        ? shuffleBuffer(items, o.shuffleBuffer!, new Rng(mixSeed(seed, 2)))
        : items;
      const transform: TransformOptions = {
        size: o.size,
        resize: o.resize,
        crop: o.crop,
        scale: o.scale,
        ratio: o.ratio,
        filter: o.filter,
        rounding: o.rounding,
        flip: o.flip,
      };
      const workers = Math.max(0, Math.floor(o.workers ?? 0));
      const pool = new DecodePool(workers);
      const decode = async (item: SourceItem, position: number) => {
        try {
          return {
            item,
            data: await pool.decode(item.source, item.name, mixSeed(seed, 3, position), transform),
          };
        } catch (e) {
          if (e instanceof DecodeWorkerError) throw e; // not the sample's fault: stop
          return { item, error: (e as Error).message };
        }
      };
      const plane = 3 * o.size * o.size;
      let data = new Float32Array(batchSize * plane);
      let labels = labelled ? new Int32Array(batchSize) : undefined;
      let keys: string[] = [];
      let sources: string[] = [];
      const batch = (n: number): ImageBatch => ({
        images: {
          dtype: "float32",
          shape: [n, 3, o.size, o.size],
          data: n === batchSize ? data : data.slice(0, n * plane),
        },
        ...(labels ? { labels: n === batchSize ? labels : labels.slice(0, n) } : {}),
        keys,
        sources,
      });
      try {
        for await (const r of mapOrdered(stream, decode, Math.max(2, workers * 4))) {
          if ("error" in r) {
            if (options.badImages) options.badImages.report(r.item.name, r.error!);
            else if (options.onError === "throw") throw new UsageError(r.error!);
            else warn(`${r.error} (skipped)`);
            continue;
          }
          data.set(r.data, keys.length * plane);
          if (labels) labels[keys.length] = r.item.label ?? -1;
          keys.push(r.item.key);
          sources.push(r.item.name);
          if (keys.length === batchSize) {
            yield batch(batchSize);
            data = new Float32Array(batchSize * plane);
            labels = labelled ? new Int32Array(batchSize) : undefined;
            keys = [];
            sources = [];
          }
        }
        if (keys.length && !o.dropLast) yield batch(keys.length);
      } finally {
        pool.close();
      }
    },
  };
  return source;
}
