/**
 * `tok1d eval --data <videos>` on a video model (core/metrics/evaluate_video.ts):
 * PSNR/SSIM/L1 per frame, averaged per clip then over clips, at each budget
 * and with `--adaptive` the adaptive encode with its per-block token counts.
 * `--report <dir>` writes metrics.json and curve.html (the curve as SVG).
 * Videos ffmpeg cannot read are skipped and counted (`badImages` in `--json`
 * and metrics.json), or stop the run with `--strict`. `--shard K/N --out
 * <dir>` scores a contiguous part of the files (or shards) and saves its sums
 * (core/metrics/eval_video_state.ts); `tok1d eval merge` adds the parts up
 * to the whole run's numbers.
 *
 * @example
 * ```sh
 * tok1d eval --model tests/testdata/elastictok_tiny --data clips/heldout --adaptive --threshold 0.01 --report out/e
 * ```
 * @module
 */
import { join } from "node:path";
import { BadImages, type SkippedImage, skippedLine } from "../core/data/bad_images.ts";
import type { VideoSource } from "../core/data/video_sources.ts";
import { UsageError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import {
  accumulateVideos,
  evaluateVideos,
  summariseVideos,
  type VideoEvaluateOptions,
  type VideoEvaluation,
} from "../core/metrics/evaluate_video.ts";
import { loadVideoEvaluationStates, saveVideoEvaluationState } from "../core/metrics/eval_video_state.ts";
import { escapeXml, lineChart } from "../core/report/chart.ts";
import { intFlag, type ModelFlags, outDir, Progress, tokenizerFromFlags } from "./common.ts";
import { type FamilyFlags, familyParams } from "./family_options.ts";

/** The eval flags a video run reads. */
export interface VideoEvalFlags extends ModelFlags {
  data?: string;
  limit?: string;
  curve: boolean;
  fid: boolean;
  adaptive?: boolean;
  threshold?: string;
  report?: string;
  shard?: string;
  out?: string;
  fps?: string;
  strict?: boolean;
}

/** The lines printed for a video evaluation. */
export function videoSummary(e: VideoEvaluation): string {
  const lines = [
    `videos: ${e.videos}, clips: ${e.clips} (${e.frames} frames), ${
      e.tokensPerImage.toFixed(1)
    } tokens per clip`,
    `PSNR: ${e.psnr.toFixed(3)} dB`,
    `SSIM: ${e.ssim.toFixed(4)}`,
    `L1: ${e.l1.toFixed(5)}`,
  ];
  if (e.blockCounts) {
    const counts = Object.entries(e.blockCounts).sort((a, b) => Number(a[0]) - Number(b[0]));
    lines.push(`kept tokens per block (adaptive): ${counts.map(([k, v]) => `${k}×${v}`).join(", ")}`);
  }
  for (const p of e.curve ?? []) {
    lines.push(
      `  ${p.adaptive ? `adaptive, mean ${p.tokensPerImage.toFixed(1)}` : p.tokensPerImage} tokens: ` +
        `PSNR ${p.psnr.toFixed(3)}, SSIM ${p.ssim.toFixed(4)}, L1 ${p.l1.toFixed(5)}`,
    );
  }
  return lines.join("\n");
}

/** metrics.json (no samples; the bad videos skipped) and curve.html; returns the files written. */
export function writeVideoReport(
  dir: string,
  e: VideoEvaluation,
  title: string,
  badImages: SkippedImage[] = [],
): string[] {
  const { samples: _, ...metrics } = e;
  const files = [join(dir, "metrics.json")];
  const bad = { badImages: { count: badImages.length, files: badImages } };
  writeFileAtomic(files[0], JSON.stringify({ ...metrics, ...bad }, null, 2) + "\n");
  const fixed = (e.curve ?? []).filter((p) => !p.adaptive);
  if (fixed.length > 1) {
    const svg = lineChart([{ name: "PSNR", points: fixed.map((p) => [p.tokensPerImage, p.psnr]) }], {
      xLabel: "tokens per clip",
      yLabel: "PSNR (dB)",
    });
    files.push(join(dir, "curve.html"));
    writeFileAtomic(
      files[1],
      `<!doctype html><meta charset="utf-8"><title>${escapeXml(title)}</title><h1>${
        escapeXml(title)
      }</h1>\n${svg}\n`,
    );
  }
  return files;
}

/** Prints (and with `--report` writes) a finished video evaluation. */
function finish(
  e: VideoEvaluation,
  bad: SkippedImage[],
  f: { model?: string; report?: string; json?: boolean },
  data: string,
): void {
  if (f.report) {
    const files = writeVideoReport(outDir(f.report, "--report"), e, `${f.model} on ${data}`, bad);
    if (!f.json) console.error(`wrote ${files.join(", ")}`);
  }
  const skipped = skippedLine(bad.length, { noun: "video", of: e.videos + bad.length });
  if (skipped) console.error(skipped);
  const { samples: _, ...metrics } = e;
  const badImages = { count: bad.length, files: bad };
  console.log(
    f.json ? JSON.stringify({ model: f.model, data, ...metrics, badImages }, null, 2) : videoSummary(e),
  );
}

/** Runs the video evaluation for `tok1d eval` (`source` already sliced by `--shard`). */
export async function evalVideoAction(source: VideoSource, f: VideoEvalFlags): Promise<void> {
  if (f.shard && !f.out) {
    throw new UsageError("--shard: also pass --out <dir> for this part's results (then eval merge)");
  }
  let adaptive: { threshold: number } | undefined;
  if (f.adaptive) {
    const t = Number(f.threshold);
    if (f.threshold === undefined || !Number.isFinite(t) || t < 0) {
      throw new UsageError(`--threshold: --adaptive needs a number ≥ 0, got '${f.threshold ?? ""}'`);
    }
    adaptive = { threshold: t };
  } else if (f.threshold !== undefined) throw new UsageError("--threshold: only with --adaptive");
  const limit = intFlag(f.limit, "--limit");
  const fps = intFlag(f.fps, "--fps");
  const bad = new BadImages(!!f.strict);
  const tok = await tokenizerFromFlags(f);
  try {
    if (tok.info.input.kind !== "video") {
      throw new UsageError(
        `--data ${f.data}: holds videos, but ${tok.info.family}/${tok.info.variant} takes images`,
      );
    }
    if (f.fid && !f.json) console.error("note: no rFID for video models (PSNR, SSIM and L1 per frame)");
    const progress = source.count ? new Progress("eval", limit ?? source.count, f.json) : undefined;
    const o: VideoEvaluateOptions = {
      batchSize: intFlag(f.batchSize, "--batch-size", 4),
      limit,
      curve: f.curve,
      adaptive,
      params: familyParams(tok.model.plugin, f as unknown as FamilyFlags),
      fps,
      badImages: bad,
      onProgress: (n) => progress?.update(n),
    };
    if (!f.shard) return finish(await evaluateVideos(tok, source, o), bad.skipped, f, f.data!);
    // A part of a sharded run: its sums, merged by `tok1d eval merge`.
    const { state } = await accumulateVideos(tok, source, o);
    const meta = {
      model: f.model,
      family: tok.info.family,
      variant: tok.info.variant,
      randomWeights: tok.randomWeights,
      data: f.data,
      fps: fps ?? 24,
      limit,
      adaptive,
      params: o.params,
      shard: f.shard,
      badImages: bad.skipped,
    };
    saveVideoEvaluationState(outDir(f.out!, "--out"), state, meta);
    const summary = {
      out: f.out,
      shard: f.shard,
      videos: state.videos,
      clips: state.clips,
      frames: state.frames,
    };
    if (f.json) console.log(JSON.stringify({ ...summary, badImages: bad.summary() }, null, 2));
    else {
      const skipped = skippedLine(bad.count, { noun: "video", of: state.videos + bad.count });
      if (skipped) console.error(skipped);
      console.error(
        `wrote part ${f.shard} (${state.videos} videos, ${state.clips} clips) to ${f.out}; ` +
          `join the parts with tok1d eval merge`,
      );
    }
  } finally {
    await tok.release();
  }
}

/** `tok1d eval merge` on the parts of a sharded video evaluation. */
export function mergeVideoParts(parts: string[], f: { report?: string; json?: boolean }): void {
  const start = performance.now();
  const { state, meta } = loadVideoEvaluationStates(parts);
  const samples = { originals: undefined as never, reconstructions: [] };
  const e = summariseVideos(state, samples, (performance.now() - start) / 1000);
  const data = `${meta.data} (${parts.length} parts merged)`;
  finish(
    e,
    meta.badImages as SkippedImage[],
    { ...f, model: String(meta.model) },
    data,
  );
}
