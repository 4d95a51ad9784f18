/**
 * Partial evaluations of `tok1d eval --shard K/N --out <dir>` and their exact
 * merge: each part saves its sums (PSNR, SSIM), codebook histogram, raw
 * feature statistics (count, mean, scatter — mergeable with no loss) and its
 * first images; `tok1d eval merge` adds the parts up and computes rFID from
 * the merged statistics, as if one process had seen every image.
 *
 * Files in a part folder: `eval_state.json`, `real.npz`, `fake_<i>.npz`,
 * `codebook.npy`, `samples.npy`, `samples_<i>.npy`.
 *
 * @example
 * ```ts
 * saveEvaluationState("parts/0", state, samples, meta);
 * const merged = loadEvaluationStates(["parts/0", "parts/1"]);
 * ```
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readNpy, writeNpy } from "../data/npy.ts";
import { UsageError } from "../errors.ts";
import { writeFileAtomic } from "../fs.ts";
import { CodebookUsage } from "./codebook.ts";
import type { EvaluationSamples, EvaluationState } from "./evaluate.ts";
import { FeatureStatistics } from "./fid_stats.ts";
import { readNpz, writeNpz } from "./npz.ts";

/** What a part records about its run; parts must agree on everything but `shard`. */
export type EvaluationMeta = Record<string, unknown> & { shard?: string };

const STATE = "eval_state.json";

function saveStats(path: string, s: FeatureStatistics): void {
  writeNpz(path, {
    count: { dtype: "int64", shape: [], data: BigInt64Array.of(BigInt(s.count)) },
    mean: { dtype: "float64", shape: [s.dim], data: s.mean },
    scatter: { dtype: "float64", shape: [s.dim, s.dim], data: s.scatter },
  });
}

/** Adds a saved part to `into` (made on first use, with the part's feature width). */
function mergeStats(into: FeatureStatistics | undefined, path: string): FeatureStatistics {
  const { count, mean, scatter } = readNpz(path, ["count", "mean", "scatter"]);
  const acc = into ?? new FeatureStatistics(mean.shape[0]);
  acc.merge(Number(count.data[0]), mean.data as Float64Array, scatter.data as Float64Array);
  return acc;
}

/** Writes one part's state into `dir`. */
export function saveEvaluationState(
  dir: string,
  state: EvaluationState,
  samples: EvaluationSamples,
  meta: EvaluationMeta,
): void {
  if (state.real) saveStats(join(dir, "real.npz"), state.real);
  state.points.forEach((p, i) => p.fake && saveStats(join(dir, `fake_${i}.npz`), p.fake));
  if (state.codebook) {
    writeNpy(join(dir, "codebook.npy"), {
      dtype: "float64",
      shape: [state.codebook.vocabulary],
      data: state.codebook.counts,
    });
  }
  writeNpy(join(dir, "samples.npy"), samples.originals);
  samples.reconstructions.forEach((t, i) => writeNpy(join(dir, `samples_${i}.npy`), t));
  const points = state.points.map(({ tokensPerImage, psnrSum, ssimSum, l1Sum, tokenSum }) => ({
    tokensPerImage,
    psnrSum,
    ssimSum,
    l1Sum,
    ...(tokenSum === undefined ? {} : { tokenSum }),
  }));
  const lengths = state.lengths ? { lengths: state.lengths } : {};
  writeFileAtomic(join(dir, "per_image.json"), JSON.stringify(state.perImage) + "\n");
  writeFileAtomic(
    join(dir, STATE),
    JSON.stringify({ version: 1, images: state.images, points, ...lengths, meta }, null, 2) + "\n",
  );
}

/** Reads and merges the parts in `dirs` (samples come from the first). */
export function loadEvaluationStates(
  dirs: string[],
): { state: EvaluationState; samples: EvaluationSamples; meta: EvaluationMeta } {
  if (!dirs.length) throw new UsageError("eval merge: pass the folders of the --shard runs");
  let merged: EvaluationState | undefined,
    meta: EvaluationMeta | undefined,
    samples: EvaluationSamples | undefined;
  for (const dir of dirs) {
    const file = join(dir, STATE);
    if (!existsSync(file)) {
      throw new UsageError(`${dir}: no ${STATE} (not the --out folder of a tok1d eval --shard run)`);
    }
    const part = JSON.parse(readFileSync(file, "utf8"));
    // The shard and the images it skipped are the part's own; everything else must agree.
    const { shard: _, badImages: partBad, ...same } = part.meta as EvaluationMeta & { badImages?: unknown[] };
    if (!merged || !meta) {
      meta = { ...part.meta, ...(partBad ? { badImages: [] } : {}) };
      merged = {
        images: 0,
        real: undefined,
        points: part.points.map((p: { tokensPerImage: number; tokenSum?: number }) => ({
          tokensPerImage: p.tokensPerImage,
          psnrSum: 0,
          ssimSum: 0,
          l1Sum: 0,
          ...(p.tokenSum === undefined ? {} : { tokenSum: 0 }),
          fake: undefined,
        })),
        ...(part.lengths ? { lengths: {} } : {}),
        perImage: [],
      };
      const counts = join(dir, "codebook.npy");
      if (existsSync(counts)) merged.codebook = new CodebookUsage(readNpy(counts).shape[0]);
      samples = {
        originals: readNpy(join(dir, "samples.npy")),
        reconstructions: part.points.map((_: unknown, i: number) => readNpy(join(dir, `samples_${i}.npy`))),
      };
    } else {
      const { shard: __, badImages: _firstBad, ...first } = meta as EvaluationMeta & {
        badImages?: unknown[];
      };
      if (JSON.stringify(same) !== JSON.stringify(first)) {
        throw new UsageError(
          `${dir}: this part ran with other settings than ${dirs[0]} (model, data or protocol differ)`,
        );
      }
    }
    if (part.points.length !== merged.points.length) {
      throw new UsageError(`${dir}: a different number of curve points`);
    }
    if (partBad) {
      const into = meta as EvaluationMeta & { badImages?: unknown[] };
      (into.badImages ??= []).push(...partBad);
    }
    merged.images += part.images;
    const rows = join(dir, "per_image.json");
    if (existsSync(rows)) {
      const partRows: { source: string }[] = JSON.parse(readFileSync(rows, "utf8"));
      // The samples are the first part's first images, in its evaluation order.
      if (!merged.perImage.length) {
        samples!.sources = partRows.slice(0, samples!.originals.shape[0]).map((r) => r.source);
      }
      merged.perImage.push(...(partRows as typeof merged.perImage));
    }
    if (existsSync(join(dir, "real.npz"))) merged.real = mergeStats(merged.real, join(dir, "real.npz"));
    for (const [k, v] of Object.entries((part.lengths ?? {}) as Record<string, number>)) {
      if (merged.lengths) merged.lengths[k] = (merged.lengths[k] ?? 0) + v;
    }
    part.points.forEach(
      (p: { psnrSum: number; ssimSum: number; l1Sum?: number; tokenSum?: number }, i: number) => {
        const into = merged!.points[i];
        into.psnrSum += p.psnrSum;
        into.ssimSum += p.ssimSum;
        into.l1Sum += p.l1Sum ?? NaN;
        if (into.tokenSum !== undefined) into.tokenSum += p.tokenSum ?? NaN;
        if (existsSync(join(dir, `fake_${i}.npz`))) {
          into.fake = mergeStats(into.fake, join(dir, `fake_${i}.npz`));
        }
      },
    );
    if (merged.codebook) merged.codebook.merge(readNpy(join(dir, "codebook.npy")).data as Float64Array);
  }
  return { state: merged!, samples: samples!, meta: meta! };
}
