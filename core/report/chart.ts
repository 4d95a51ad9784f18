/**
 * A line chart as inline SVG (no script, no fonts to fetch): the report's
 * quality-against-token-count curve. Axes are linear, ticks at "nice" steps.
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

/** One line of the chart. */
export interface Series {
  name: string;
  points: [number, number][];
}

/** Size and labels. */
export interface ChartOptions {
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
}

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

/** Escapes text for HTML and SVG. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** About five round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Number(v.toPrecision(12)));
  }
  return out;
}

/** Renders the series as an SVG element string. */
export function lineChart(series: Series[], o: ChartOptions): string {
  const w = o.width ?? 480, h = o.height ?? 300, left = 84, right = 16, top = 16, bottom = 48;
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map(([x]) => x), ys = all.map(([, y]) => y);
  const pad = (lo: number, hi: number) => (hi > lo ? [lo, hi] : [lo - 1, hi + 1]);
  const [x0, x1] = pad(Math.min(...xs), Math.max(...xs));
  const [y0, y1] = pad(Math.min(...ys), Math.max(...ys));
  const px = (x: number) => left + ((x - x0) / (x1 - x0)) * (w - left - right);
  const py = (y: number) => h - bottom - ((y - y0) / (y1 - y0)) * (h - top - bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img">`,
    `<rect x="${left}" y="${top}" width="${w - left - right}" height="${
      h - top - bottom
    }" fill="none" stroke="#999"/>`,
  ];
  for (const t of ticks(x0, x1)) {
    parts.push(
      `<text x="${px(t).toFixed(1)}" y="${h - bottom + 16}" text-anchor="middle" font-size="11">${t}</text>`,
    );
  }
  for (const t of ticks(y0, y1)) {
    const y = py(t).toFixed(1);
    parts.push(`<line x1="${left}" x2="${w - right}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(
      `<text x="${
        left - 6
      }" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${t}</text>`,
    );
  }
  parts.push(
    `<text x="${(left + w - right) / 2}" y="${h - 10}" text-anchor="middle" font-size="12">${
      escapeXml(o.xLabel)
    }</text>`,
  );
  parts.push(
    `<text transform="translate(14 ${
      (top + h - bottom) / 2
    }) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(o.yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length];
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    parts.push(
      `<polyline fill="none" stroke="${c}" stroke-width="2" points="${
        pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ")
      }"/>`,
    );
    for (const [x, y] of pts) {
      parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${c}"/>`);
    }
    parts.push(
      `<text x="${left + 8}" y="${top + 14 + 14 * i}" font-size="11" fill="${c}">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}
