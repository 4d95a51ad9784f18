/**
 * FID statistics files: the `.npz` that `python -m pytorch_fid --save-stats`
 * and clean-fid write (`mu` float64 [d], `sigma` float64 [d, d]), which also
 * reads OpenAI's ADM reference batches (`VIRTUAL_imagenet256_labeled.npz`:
 * only `mu` and `sigma` are read, the 2 GB of images are skipped). tok1d adds
 * `num_images` (int64) so that partial statistics of `--shard K/N` runs merge
 * exactly; other tools ignore the extra array.
 *
 * @example
 * ```ts
 * writeStatistics("val.npz", stats);
 * const ref = readStatistics("VIRTUAL_imagenet256_labeled.npz"); // count: undefined
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";
import { toFloat32 } from "../tensor.ts";
import type { FidStatistics } from "./fid_stats.ts";
import type { Gaussian } from "./frechet.ts";
import { npzNames, readNpz, writeNpz } from "./npz.ts";

/** Statistics read from a file; `count` is known only for files tok1d wrote. */
export interface StoredStatistics extends Gaussian {
  count?: number;
}

/** Reads `mu`, `sigma` (and `num_images` when present) from an `.npz`. */
export function readStatistics(path: string): StoredStatistics {
  const hasCount = npzNames(path).includes("num_images");
  const all = readNpz(path, hasCount ? ["mu", "sigma", "num_images"] : ["mu", "sigma"]);
  const { mu, sigma } = all;
  const d = mu.shape[0];
  if (mu.shape.length !== 1 || sigma.shape.join() !== `${d},${d}`) {
    throw new UsageError(
      `${path}: expected mu [d] and sigma [d, d], got mu [${mu.shape}] and sigma [${sigma.shape}]`,
    );
  }
  const f64 = (t: typeof mu) =>
    t.dtype === "float64" ? t.data as Float64Array : Float64Array.from(toFloat32(t).data as Float32Array);
  // pytorch-fid, clean-fid and ADM files do not record the count.
  const count = hasCount ? Number(all.num_images.data[0]) : undefined;
  return { mu: f64(mu), sigma: f64(sigma), count };
}

/** Writes statistics as a pytorch-fid-compatible `.npz` plus `num_images`, atomically. */
export function writeStatistics(path: string, stats: FidStatistics): void {
  const d = stats.mu.length;
  writeNpz(path, {
    mu: { dtype: "float64", shape: [d], data: stats.mu },
    sigma: { dtype: "float64", shape: [d, d], data: stats.sigma },
    num_images: { dtype: "int64", shape: [], data: BigInt64Array.of(BigInt(stats.count)) },
  });
}
