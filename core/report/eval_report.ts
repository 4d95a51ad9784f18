/**
 * `tok1d eval --report <dir>`: from an {@link Evaluation} to `metrics.json`,
 * the reconstruction grids (PNG) and `report.html`, all written atomically.
 *
 * @example
 * ```ts
 * const e = await evaluateTokenizer(tok, data, { inception });
 * await writeEvaluationReport("out/report", e, { model: "titok/s128", family: "titok", variant: "s128", data: "val" });
 * ```
 * @module
 */
import { basename, join } from "node:path";
import { encodePng, gridRows, MIN_GRID_TILE } from "../data/png.ts";
import { psnr } from "../metrics/psnr.ts";
import { writeFileAtomic } from "../fs.ts";
import type { SkippedImage } from "../data/bad_images.ts";
import type { Evaluation } from "../metrics/evaluate.ts";
import { stackCharts } from "./chart.ts";
import { svgToPng } from "./chart_png.ts";
import { curveCharts, renderReport, type ReportContent, type ReportGrid } from "./html.ts";

/** What the evaluation ran on (shown in the report and metrics.json). */
export interface ReportContext {
  model: string;
  family: string;
  variant: string;
  data: string;
  randomWeights?: boolean;
  /** The inference precision when not fp32 (`--precision`, core/runtime/precision.ts). */
  precision?: string;
  inception?: string;
  /** Set when the Inception file is not the official one (inception_weights.ts). */
  inceptionWarning?: string;
  shard?: string;
  limit?: number;
  vocabulary?: number;
  /** Images the run skipped as unreadable or corrupt (core/data/bad_images.ts). */
  badImages?: SkippedImage[];
}

/** Finite numbers as they are, anything else as null (JSON has no Infinity). */
const num = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : null);

/** What makes the rFID doubtful: a non-official Inception file, near-constant features. */
export function fidWarnings(e: Evaluation, ctx: ReportContext): string[] {
  return [ctx.inceptionWarning, e.rfid?.degenerate].filter((w): w is string => !!w);
}

/** The rFID when it means something (null when not computed or its features are near-constant). */
const rfidValue = (e: Evaluation) => (e.rfid?.degenerate ? null : num(e.rfid?.fid));

/** The machine-readable summary (`metrics.json`, and `--json` output). */
export function evaluationJson(e: Evaluation, ctx: ReportContext): Record<string, unknown> {
  return {
    tool: "tok1d",
    warnings: fidWarnings(e, ctx),
    model: {
      spec: ctx.model,
      family: ctx.family,
      variant: ctx.variant,
      randomWeights: !!ctx.randomWeights,
      ...(ctx.precision ? { precision: ctx.precision } : {}),
    },
    data: { spec: ctx.data, images: e.images, shard: ctx.shard ?? null, limit: ctx.limit ?? null },
    badImages: { count: ctx.badImages?.length ?? 0, files: ctx.badImages ?? [] },
    protocol: { ...e.protocol, inception: ctx.inception ?? null },
    metrics: {
      rfid: rfidValue(e),
      psnr: num(e.psnr),
      ssim: num(e.ssim),
      l1: num(e.l1),
      tokensPerImage: e.tokensPerImage,
      tokenCountHistogram: e.lengths ?? null,
      codebook: e.codebook ?? null,
    },
    fidTerms: e.rfid ?? null,
    curve: e.curve?.map((p) => ({ ...p, psnr: num(p.psnr), rfid: num(p.rfid) })) ?? null,
    perImage: e.perImage.map((r) => ({ ...r, psnr: num(r.psnr) })),
    seconds: e.seconds,
  };
}

const fmt = (v: number | undefined, digits: number) =>
  v === undefined ? "—" : Number.isFinite(v) ? v.toFixed(digits) : String(v);

/** Builds the report content: metric rows, details, notes and grids. */
export async function reportContent(e: Evaluation, ctx: ReportContext): Promise<ReportContent> {
  const metrics: [string, string][] = [];
  if (e.rfid) {
    metrics.push([
      "rFID",
      e.rfid.degenerate ? "not meaningful (near-constant features)" : fmt(e.rfid.fid, 3),
    ]);
  }
  metrics.push(["PSNR (dB)", fmt(e.psnr, 3)], ["SSIM", fmt(e.ssim, 4)], ["L1", fmt(e.l1, 5)], [
    "tokens per image",
    Number.isInteger(e.tokensPerImage) ? String(e.tokensPerImage) : e.tokensPerImage.toFixed(2),
  ]);
  if (e.lengths) {
    const total = Object.values(e.lengths).reduce((a, v) => a + v, 0);
    metrics.push([
      "token counts chosen (adaptive)",
      Object.entries(e.lengths).sort((a, b) => Number(a[0]) - Number(b[0]))
        .map(([k, v]) => `${k}: ${v} (${((100 * v) / total).toFixed(1)} %)`).join(", "),
    ]);
  }
  if (e.codebook) {
    const c = e.codebook;
    metrics.push(
      ["codebook usage", `${fmt(c.usagePercent, 2)} % (${c.used} of ${c.vocabulary} codes)`],
      ["codebook entropy (bits)", fmt(c.entropyBits, 3)],
      ["codebook perplexity", fmt(c.perplexity, 1)],
    );
  }
  const notes: string[] = [...fidWarnings(e, ctx)];
  const bad = ctx.badImages ?? [];
  if (bad.length) {
    notes.push(
      `${bad.length} bad image${bad.length === 1 ? " was" : "s were"} skipped: ` +
        bad.slice(0, 5).map((b) => `${b.source} (${b.reason})`).join("; ") + (bad.length > 5 ? "; …" : ""),
    );
  }
  if (ctx.randomWeights) {
    notes.push("The tokenizer ran with RANDOM weights: these numbers are not meaningful.");
  }
  if (ctx.precision) {
    notes.push(`The tokenizer ran at --precision ${ctx.precision}, not fp32 (bench/README.md, "Precision").`);
  }
  if (ctx.inception?.startsWith("random")) {
    notes.push("FID used RANDOM Inception weights: the rFID values are not comparable to published ones.");
  }
  if (e.images < 2048 && e.rfid) {
    notes.push(`rFID over ${e.images} images: FID is biased upwards for small samples (papers use 50,000).`);
  }
  const details: [string, string][] = [
    ["model", ctx.model],
    ["family / variant", `${ctx.family} / ${ctx.variant}`],
    ["data", ctx.data + (ctx.shard ? ` (shard ${ctx.shard})` : "")],
    ["images", String(e.images)],
    ["image transform", e.protocol.transform],
    ["reconstructions", e.protocol.reconstruction],
    ["FID front end", e.protocol.fid ?? "not computed"],
    ["Inception weights", ctx.inception ?? "—"],
    ["upstream protocol", e.protocol.source],
    ["time (s)", e.seconds.toFixed(1)],
  ];
  const grid = async (file: string, rows: Evaluation["samples"]["reconstructions"], caption: string) => {
    const originals = e.samples.originals;
    const names = e.samples.sources?.map((s) => basename(s));
    const g = gridRows([originals, ...rows], {
      columns: Math.min(8, originals.shape[0]),
      // Tiles at least 128 px on screen (nearest-neighbour), captioned with file and PSNR.
      scale: Math.max(1, Math.ceil(MIN_GRID_TILE / (originals.shape[3] as number))),
      labels: [names, ...rows.map((r) => [...psnr(originals, r)].map((p) => `PSNR ${p.toFixed(2)}`))],
    });
    return { file, caption, png: await encodePng(g.data, g.width, g.height), width: g.width };
  };
  const grids: ReportGrid[] = [
    await grid(
      "grid.png",
      [e.samples.reconstructions.at(-1)!],
      "originals (top) and reconstructions (bottom)",
    ),
  ];
  if (e.curve) {
    grids.push(
      await grid(
        "grid_tokens.png",
        e.samples.reconstructions,
        `originals, then reconstructions with ${
          e.curve.map((p) => p.tokensPerImage).join(", ")
        } tokens per image`,
      ),
    );
  }
  return {
    title: `tok1d evaluation — ${ctx.family}/${ctx.variant}`,
    notes,
    details,
    metrics,
    curve: e.curve,
    perImage: e.perImage,
    grids,
  };
}

/** Writes metrics.json, the grid PNGs, curve.png (quality against tokens) and report.html into `dir`; returns the paths. */
export async function writeEvaluationReport(
  dir: string,
  e: Evaluation,
  ctx: ReportContext,
): Promise<string[]> {
  const content = await reportContent(e, ctx);
  const paths = [
    join(dir, "metrics.json"),
    ...content.grids.map((g) => join(dir, g.file)),
    join(dir, "report.html"),
  ];
  writeFileAtomic(paths[0], JSON.stringify(evaluationJson(e, ctx), null, 2) + "\n");
  content.grids.forEach((g, i) => writeFileAtomic(paths[i + 1], g.png));
  writeFileAtomic(paths.at(-1)!, renderReport(content));
  if (content.curve?.length) {
    const curve = join(dir, "curve.png");
    writeFileAtomic(curve, svgToPng(stackCharts(curveCharts(content.curve))));
    paths.push(curve);
  }
  return paths;
}
