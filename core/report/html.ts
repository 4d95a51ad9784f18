/**
 * The self-contained HTML report: one file, no network — styles inline,
 * grids embedded as PNG data URIs, charts as inline SVG. A few lines of
 * script only check that every image decoded (`data-images-ok` on `<body>`,
 * and a console error otherwise), which the report test reads from headless
 * Chromium.
 *
 * @example
 * ```ts
 * const html = renderReport({
 *   title: "tok1d evaluation — titok/s128",
 *   notes: [],
 *   details: [["images", "1000"]],
 *   metrics: [["rFID", "1.71"]],
 *   grids: [],
 * });
 * ```
 * @module
 */
import { escapeXml, lineChart } from "./chart.ts";

/** One point of a quality-against-token-count curve. */
export interface ReportCurvePoint {
  tokensPerImage: number;
  psnr: number;
  ssim: number;
  l1?: number;
  rfid?: number;
  /** The adaptive encode's point (tokensPerImage is a mean). */
  adaptive?: boolean;
}

/** A reconstruction grid: file name, caption, PNG bytes and pixel width. */
export interface ReportGrid {
  file: string;
  caption: string;
  png: Uint8Array;
  /** Width of the PNG; small grids are shown enlarged (nearest neighbour). */
  width?: number;
}

/** What the report shows. */
export interface ReportContent {
  title: string;
  /** Warnings shown in a banner (random weights, …). */
  notes: string[];
  /** Run details: key/value rows. */
  details: [string, string][];
  /** Metric rows, already formatted. */
  metrics: [string, string][];
  curve?: ReportCurvePoint[];
  /** Per-image rows, worst first (the report shows the first 50). */
  perImage?: { source: string; psnr: number; ssim: number; l1: number; tokens: number }[];
  grids: ReportGrid[];
}

function perImageSection(r: NonNullable<ReportContent["perImage"]>): string {
  const shown = r.slice(0, 50);
  const body = shown.map((x) =>
    `<tr><td>${escapeXml(x.source.split("/").pop() ?? x.source)}</td><td class="num">${
      Number.isFinite(x.psnr) ? x.psnr.toFixed(2) : String(x.psnr)
    }</td><td class="num">${x.ssim.toFixed(4)}</td><td class="num">${x.l1.toFixed(5)}</td>` +
    `<td class="num">${x.tokens}</td></tr>`
  ).join("");
  return `<h2>Per image (worst PSNR first${
    r.length > shown.length ? `; ${shown.length} of ${r.length}, all in metrics.json` : ""
  })</h2>` +
    `<table id="per-image"><tr><th>file</th><th>PSNR (dB)</th><th>SSIM</th><th>L1</th><th>tokens</th></tr>${body}</table>`;
}

const STYLE =
  `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.3em .7em;text-align:left}th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{background:#fff3cd;border:1px solid #e0c36a;padding:.6em 1em;margin:.5em 0}figure{margin:1em 0}
figure img{max-width:100%;image-rendering:pixelated;border:1px solid #ddd}figcaption{color:#555;font-size:.9em}
.charts{display:flex;flex-wrap:wrap;gap:1em}`;

const CHECK =
  `addEventListener("load",()=>{const bad=[...document.images].filter(i=>!(i.complete&&i.naturalWidth>0));` +
  `document.body.dataset.imagesOk=String(document.images.length-bad.length);` +
  `if(bad.length)console.error("report: "+bad.length+" image(s) failed to decode")});`;

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const rows = (r: [string, string][], cls = "num") =>
  r.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td class="${cls}">${escapeXml(v)}</td></tr>`).join("");

/** The report's quality-against-token-count charts (SVG), one per metric; the adaptive encode is its own point. */
export function curveCharts(curve: ReportCurvePoint[]): string[] {
  const line = (name: string, pick: (p: ReportCurvePoint) => number | undefined, adaptive = false) => ({
    name,
    points: curve.filter((p) => !!p.adaptive === adaptive && pick(p) !== undefined).map((p) =>
      [p.tokensPerImage, pick(p)!] as [number, number]
    ),
  });
  const chart = (metric: string, label: string, pick: (p: ReportCurvePoint) => number | undefined) => {
    const series = [line("fixed budget", pick)];
    if (curve.some((p) => p.adaptive)) series.push(line("adaptive (mean)", pick, true));
    return lineChart(series, {
      title: `${metric} against tokens`,
      xLabel: "tokens per image",
      yLabel: label,
    });
  };
  const charts = [chart("PSNR", "PSNR (dB)", (p) => p.psnr), chart("SSIM", "SSIM", (p) => p.ssim)];
  if (curve.some((p) => p.rfid !== undefined)) charts.push(chart("rFID", "rFID", (p) => p.rfid));
  return charts;
}

function curveSection(curve: ReportCurvePoint[]): string {
  const charts = curveCharts(curve);
  const table = curve.map((p) =>
    `<tr><td class="num">${
      p.adaptive ? `adaptive: ${p.tokensPerImage.toFixed(1)} mean` : p.tokensPerImage
    }</td>` +
    `<td class="num">${p.psnr.toFixed(3)}</td><td class="num">${p.ssim.toFixed(4)}</td>` +
    `<td class="num">${p.l1?.toFixed(5) ?? "—"}</td><td class="num">${p.rfid?.toFixed(3) ?? "—"}</td></tr>`
  ).join("");
  return `<h2>Quality against token count</h2><div class="charts">${charts.join("")}</div>` +
    `<table><tr><th>tokens per image</th><th>PSNR (dB)</th><th>SSIM</th><th>L1</th><th>rFID</th></tr>${table}</table>`;
}

/** Renders the report as one HTML document. */
export function renderReport(r: ReportContent): string {
  const notes = r.notes.map((n) => `<p class="note">${escapeXml(n)}</p>`).join("");
  const grids = r.grids.map((g) =>
    `<figure><img alt="${escapeXml(g.caption)}"${
      g.width ? ` width="${g.width * Math.max(1, Math.min(4, Math.floor(640 / g.width)))}"` : ""
    } src="data:image/png;base64,${base64(g.png)}">` +
    `<figcaption>${escapeXml(g.caption)} (<code>${escapeXml(g.file)}</code>)</figcaption></figure>`
  ).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeXml(r.title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeXml(r.title)}</h1>${notes}
<h2>Metrics</h2><table id="metrics">${rows(r.metrics)}</table>
${r.curve?.length ? curveSection(r.curve) : ""}
${r.perImage?.length ? perImageSection(r.perImage) : ""}
${grids ? `<h2>Reconstructions</h2>${grids}` : ""}
<h2>Run</h2><table id="details">${rows(r.details, "text")}</table>
<script>${CHECK}</script></body></html>
`;
}
