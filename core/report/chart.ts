/**
 * Line charts as standalone SVG (no script, no external font): the report's
 * quality-against-token-count curves and the training loss curves
 * (`loss.png`, rasterised by chart_png.ts). Every chart has labelled axes
 * with tick values, a legend naming each line, and a y range that does not
 * turn noise into a trend: a spread below `minRelativeSpan` of the values'
 * magnitude is drawn as the flat line it is.
 *
 * @example
 * ```ts
 * const svg = lineChart([{ name: "PSNR", points: [[32, 18.1], [64, 19.4], [128, 20.2]] }], {
 *   xLabel: "tokens per image",
 *   yLabel: "PSNR (dB)",
 * });
 * ```
 * @module
 */
import { axisRange, formatTick, logTicks, ticks } from "./axis.ts";
export { axisRange, formatTick, logTicks, ticks } from "./axis.ts";

/** One line of the chart. */
export interface Series {
  name: string;
  points: [number, number][];
}

/** Size, labels and scale. */
export interface ChartOptions {
  xLabel: string;
  yLabel: string;
  title?: string;
  width?: number;
  height?: number;
  /** "log" for losses spanning decades; non-positive values are then left out. */
  yScale?: "linear" | "log";
  /** Smallest y span drawn, relative to the values' magnitude (default 0.01). */
  minRelativeSpan?: number;
  /** Smallest y span drawn, in the values' units (a metric's noise level: SSIM 0.01, PSNR 0.5 dB). */
  minSpan?: number;
}

/** The font the PNG renderer embeds first; browsers fall back to their sans-serif. */
export const CHART_FONT = "DejaVu Sans";
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
/** Approximate advance of one character at `size` px (DejaVu Sans averages ~0.6 em). */
const textWidth = (s: string, size: number) => s.length * size * 0.62;

/** Escapes text for HTML and SVG. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const finite = (s: Series, log: boolean) =>
  s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!log || y > 0));

/** Renders the series as one `<svg>` element (white background, axes, ticks, legend on the right). */
export function lineChart(series: Series[], o: ChartOptions): string {
  const w = o.width ?? 560, h = o.height ?? 320, log = o.yScale === "log";
  const pts = series.map((s) => finite(s, log));
  const xs = pts.flat().map(([x]) => x), ys = pts.flat().map(([, y]) => y);
  const integerX = xs.length > 0 && xs.every(Number.isInteger);
  const [x0, x1] = axisRange(xs, "linear", 0, integerX);
  const [y0, y1] = axisRange(ys, log ? "log" : "linear", o.minRelativeSpan ?? 0.01, false, o.minSpan);
  const xt = ticks(x0, x1).filter((t) => !integerX || Number.isInteger(t));
  const yt = log ? logTicks(y0, y1) : ticks(y0, y1);
  const ystep = yt.length > 1 ? Math.abs(yt[1] - yt[0]) : Math.abs(y1 - y0) || 1;
  const xstep = xt.length > 1 ? xt[1] - xt[0] : 1;
  const ylabels = yt.map((t) => formatTick(t, log ? t : ystep));
  const legendWidth = Math.max(0, ...series.map((s) => textWidth(s.name, 12))) + 40;
  const top = o.title ? 34 : 14, bottom = 50, right = legendWidth + 12;
  const left = Math.max(...ylabels.map((l) => textWidth(l, 11)), 10) + 38;
  const pw = Math.max(10, w - left - right), ph = Math.max(10, h - top - bottom);
  const f = log ? Math.log10 : (v: number) => v;
  const [fy0, fy1] = [f(y0), f(y1)];
  const px = (x: number) => left + ((x - x0) / (x1 - x0)) * pw;
  const py = (y: number) => top + ph - ((f(y) - fy0) / (fy1 - fy0)) * ph;
  const n = (v: number) => v.toFixed(1);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" ` +
    `font-family="${CHART_FONT}, Helvetica, Arial, sans-serif">`,
    `<title>${escapeXml(o.title ?? `${o.yLabel} against ${o.xLabel}`)}</title>`,
    `<rect width="${w}" height="${h}" fill="#fff"/>`,
  ];
  if (o.title) {
    parts.push(
      `<text class="title" x="${n(left + pw / 2)}" y="20" text-anchor="middle" font-size="14" ` +
        `font-weight="bold">${escapeXml(o.title)}</text>`,
    );
  }
  yt.forEach((t, i) => {
    const y = n(py(t));
    parts.push(`<line x1="${left}" x2="${left + pw}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
    parts.push(`<line x1="${left - 5}" x2="${left}" y1="${y}" y2="${y}" stroke="#333"/>`);
    parts.push(
      `<text class="tick y" x="${left - 8}" y="${n(py(t) + 4)}" text-anchor="end" font-size="11">${
        ylabels[i]
      }</text>`,
    );
  });
  for (const t of xt) {
    const x = n(px(t));
    parts.push(`<line x1="${x}" x2="${x}" y1="${top + ph}" y2="${top + ph + 5}" stroke="#333"/>`);
    parts.push(
      `<text class="tick x" x="${x}" y="${top + ph + 18}" text-anchor="middle" font-size="11">${
        formatTick(t, xstep)
      }</text>`,
    );
  }
  parts.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(
    `<text class="axis-label x" x="${n(left + pw / 2)}" y="${h - 12}" text-anchor="middle" font-size="12">${
      escapeXml(o.xLabel)
    }</text>`,
    `<text class="axis-label y" transform="translate(14 ${n(top + ph / 2)}) rotate(-90)" ` +
      `text-anchor="middle" font-size="12">${escapeXml(o.yLabel)}${log ? " (log scale)" : ""}</text>`,
  );
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length], p = pts[i];
    const coords = p.map(([x, y]) => `${n(px(x))},${n(py(y))}`);
    if (p.length > 1) {
      parts.push(`<polyline fill="none" stroke="${c}" stroke-width="1.8" points="${coords.join(" ")}"/>`);
    }
    // Markers only where they can be told apart (the report's few budgets, not thousands of steps).
    if (p.length <= 40) { for (const xy of coords) parts.push(circle(xy, c)); }
    const ly = top + 10 + 18 * i, lx = left + pw + 14;
    parts.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="2.5"/>`,
      `<text class="legend" x="${lx + 24}" y="${ly + 4}" font-size="12">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

function circle(xy: string, colour: string): string {
  const [cx, cy] = xy.split(",");
  return `<circle cx="${cx}" cy="${cy}" r="3" fill="${colour}"/>`;
}

/** Stacks whole `<svg>` charts vertically into one SVG (for a PNG with several panels). */
export function stackCharts(charts: string[]): string {
  let y = 0, width = 0;
  const inner = charts.map((svg) => {
    const w = Number(/width="([\d.]+)"/.exec(svg)?.[1] ?? 0),
      h = Number(/height="([\d.]+)"/.exec(svg)?.[1] ?? 0);
    const placed = svg.replace("<svg ", `<svg x="0" y="${y}" `);
    y += h;
    width = Math.max(width, w);
    return placed;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}">` +
    `${inner.join("")}</svg>`;
}
