/**
 * SVG charts to PNG through resvg (@resvg/resvg-js, a Rust renderer shipped
 * as a prebuilt npm add-on): the same SVG the HTML report shows becomes
 * `loss.png` or `curve.png`, with anti-aliased lines and real text. Text is
 * set in the DejaVu Sans subset kept beside this file (fonts/README.md), so
 * a PNG looks the same on a machine without any system fonts.
 *
 * @example
 * ```ts
 * const png = svgToPng(lineChart(series, { xLabel: "step", yLabel: "loss" }));
 * await writeChartPng("runs/a/loss.png", svg);
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";
import { Resvg } from "@resvg/resvg-js";
import { writeFileAtomic } from "../fs.ts";
import { CHART_FONT } from "./chart.ts";

const FONT = new URL("./fonts/DejaVuSans-subset.ttf", import.meta.url);

/** Rasterises `svg` at its own size (× `scale`) on white; returns PNG bytes. */
export function svgToPng(svg: string, scale = 1): Uint8Array {
  const local = FONT.protocol === "file:";
  const r = new Resvg(svg, {
    background: "#ffffff",
    fitTo: scale === 1 ? { mode: "original" } : { mode: "zoom", value: scale },
    font: {
      fontFiles: local ? [fileURLToPath(FONT)] : [],
      // Imported by URL (no font file on disk): fall back to the machine's fonts.
      loadSystemFonts: !local,
      defaultFontFamily: CHART_FONT,
      sansSerifFamily: CHART_FONT,
    },
  });
  return new Uint8Array(r.render().asPng());
}

/** Writes `svg` as a PNG at `path` (atomic). */
export function writeChartPng(path: string, svg: string, scale = 1): void {
  writeFileAtomic(path, svgToPng(svg, scale));
}
