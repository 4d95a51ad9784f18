/**
 * `tok1d eval --data <videos>` on a video model (core/metrics/evaluate_video.ts):
 * PSNR/SSIM/L1 per frame, averaged per clip then over clips, at each budget
 * and with `--adaptive` the adaptive encode with its per-block token counts.
 * `--report <dir>` writes metrics.json and curve.html (the curve as SVG).
 *
 * @example
 * ```sh
 * tok1d eval --model tests/testdata/elastictok_tiny --data clips/heldout --adaptive --threshold 0.01 --report out/e
 * ```
 * @module
 */
import { join } from "node:path";
import type { VideoSource } from "../core/data/video_sources.ts";
import { UsageError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { evaluateVideos, type VideoEvaluation } from "../core/metrics/evaluate_video.ts";
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
  fps?: string;
}

/** The lines printed for a video evaluation. */
export function videoSummary(e: VideoEvaluation): string {
  const lines = [
    `clips: ${e.clips} (${e.frames} frames), ${e.tokensPerImage.toFixed(1)} tokens per clip`,
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

/** metrics.json (no samples) and curve.html; returns the files written. */
export function writeVideoReport(dir: string, e: VideoEvaluation, title: string): string[] {
  const { samples: _, ...metrics } = e;
  const files = [join(dir, "metrics.json")];
  writeFileAtomic(files[0], JSON.stringify(metrics, null, 2) + "\n");
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

/** Runs the video evaluation for `tok1d eval`. */
export async function evalVideoAction(source: VideoSource, f: VideoEvalFlags): Promise<void> {
  if (f.shard) throw new UsageError("--shard: not supported for video evaluation yet");
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
  const tok = await tokenizerFromFlags(f);
  try {
    if (tok.info.input.kind !== "video") {
      throw new UsageError(
        `--data ${f.data}: holds videos, but ${tok.info.family}/${tok.info.variant} takes images`,
      );
    }
    if (f.fid && !f.json) console.error("note: no rFID for video models (PSNR, SSIM and L1 per frame)");
    const progress = source.count ? new Progress("eval", limit ?? source.count, f.json) : undefined;
    const e = await evaluateVideos(tok, source, {
      batchSize: intFlag(f.batchSize, "--batch-size", 4),
      limit,
      curve: f.curve,
      adaptive,
      params: familyParams(tok.model.plugin, f as unknown as FamilyFlags),
      fps,
      onProgress: (n) => progress?.update(n),
    });
    if (f.report) {
      const files = writeVideoReport(outDir(f.report, "--report"), e, `${f.model} on ${f.data}`);
      if (!f.json) console.error(`wrote ${files.join(", ")}`);
    }
    const { samples: _, ...metrics } = e;
    console.log(
      f.json ? JSON.stringify({ model: f.model, data: f.data, ...metrics }, null, 2) : videoSummary(e),
    );
  } finally {
    await tok.release();
  }
}
