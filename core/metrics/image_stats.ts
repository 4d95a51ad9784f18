/**
 * FID statistics of an image collection, as `python -m pytorch_fid` computes
 * them: the files of a folder with pytorch-fid's extensions, sorted, each
 * image at its own resolution (`ToTensor`, no crop), resized to 299 inside the
 * Inception graph. With `size`, or for datasets with images of mixed sizes
 * (shards, class trees), images are first brought to `size`×`size` with the
 * evaluation transform (shorter side → size, bicubic, centre crop).
 *
 * @example
 * ```ts
 * const inception = await InceptionFeatures.create(weights);
 * const stats = await imageStatistics("samples/", inception);          // pytorch-fid rules
 * const val = await imageStatistics("val-{0000..0009}.tar", inception, { size: 256, shard: "0/4" });
 * ```
 * @module
 */
import { readdirSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { imageToTensor } from "../data/batch.ts";
import { decodeImage } from "../data/image.ts";
import { openImageSource } from "../data/reader.ts";
import { parseShardFlag, sliceRange, WHOLE } from "../data/shard_slice.ts";
import { UsageError } from "../errors.ts";
import type { SessionOptions } from "../runtime/mod.ts";
import type { Tensor } from "../tensor.ts";
import type { InceptionFeatures } from "./features.ts";
import { FeatureStatistics } from "./fid_stats.ts";
import { FEATURE_DIM } from "./inception.ts";

/** pytorch-fid's `IMAGE_EXTENSIONS` (matched in lower case, as its glob does). */
export const PYTORCH_FID_EXTENSIONS = ["bmp", "jpg", "jpeg", "pgm", "png", "ppm", "tif", "tiff", "webp"];
const DECODABLE = new Set(["jpg", "jpeg", "png", "webp"]);

/** Options of {@link imageStatistics}. */
export interface ImageStatisticsOptions {
  /** Bring every image to size×size first (needed for shards and class trees). */
  size?: number;
  /** This process's part: "K/N". */
  shard?: string;
  /** Use at most this many images (of this part). */
  limit?: number;
  /** Images per Inception call (default 50, pytorch-fid's). */
  batchSize?: number;
  session?: SessionOptions;
  onProgress?: (done: number, total?: number) => void;
}

/** The image files pytorch-fid would take from a folder (sorted; only undecodable formats are an error). */
export function pytorchFidFiles(dir: string): string[] {
  const files = readdirSync(dir).filter((f) => PYTORCH_FID_EXTENSIONS.includes(extname(f).slice(1)))
    .map((f) => join(dir, f)).filter((f) => statSync(f).isFile()).sort();
  const odd = files.find((f) => !DECODABLE.has(extname(f).slice(1)));
  if (odd) throw new UsageError(`${odd}: tok1d reads JPEG, PNG and WebP images; convert this file first`);
  return files;
}

function isPlainFolder(spec: string): boolean {
  try {
    return statSync(spec).isDirectory() && readdirSync(spec).some((f) => DECODABLE.has(extname(f).slice(1)));
  } catch {
    return false;
  }
}

/** Stacks same-sized `[3, H, W]` images into a batch. */
function stack(images: Tensor[]): Tensor<"float32"> {
  const [c, h, w] = images[0].shape, per = c * h * w;
  const data = new Float32Array(images.length * per);
  images.forEach((t, i) => data.set(t.data as Float32Array, i * per));
  return { dtype: "float32", shape: [images.length, c, h, w], data };
}

/** Feature statistics of an image folder or dataset. */
export async function imageStatistics(
  spec: string,
  inception: InceptionFeatures,
  o: ImageStatisticsOptions = {},
): Promise<FeatureStatistics> {
  const stats = new FeatureStatistics(FEATURE_DIM, o.session);
  const batchSize = o.batchSize ?? 50;
  const add = async (batch: Tensor) => {
    await stats.add(await inception.extract(batch));
    o.onProgress?.(stats.count);
  };
  if (o.size === undefined && isPlainFolder(spec)) {
    const all = pytorchFidFiles(spec);
    const [start, end] = sliceRange(all.length, o.shard ? parseShardFlag(o.shard) : WHOLE);
    const files = all.slice(start, o.limit === undefined ? end : Math.min(end, start + o.limit));
    let pending: Tensor[] = [];
    for (const f of files) {
      const t = imageToTensor(await decodeImage(f));
      // One Inception call per run of same-sized images (pytorch-fid needs equal sizes within a batch).
      if (pending.length && (pending.length === batchSize || t.shape.join() !== pending[0].shape.join())) {
        await add(stack(pending));
        pending = [];
      }
      pending.push(t);
    }
    if (pending.length) await add(stack(pending));
    return stats;
  }
  if (o.size === undefined) {
    throw new UsageError(
      `${spec}: shards and class trees hold images of different sizes; pass --size S to resize ` +
        `(shorter side → S, centre crop) before Inception`,
    );
  }
  const source = await openImageSource(spec, { shard: o.shard });
  for await (
    const { images } of source.batches(batchSize, { size: o.size, resize: "shorter", crop: "center" })
  ) {
    const room = o.limit === undefined ? images.shape[0] : Math.min(images.shape[0], o.limit - stats.count);
    if (room <= 0) break;
    const per = images.data.length / images.shape[0];
    await add(
      room === images.shape[0] ? images : {
        dtype: "float32",
        shape: [room, ...images.shape.slice(1)],
        data: images.data.subarray(0, room * per),
      },
    );
  }
  return stats;
}
