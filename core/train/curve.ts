/**
 * `loss.png` of a training run: the loss terms against the step on a log
 * axis, and — when the run has a GAN stage — the adversarial values that
 * change sign (generator `gan`, discriminator `d.*`) in a second, linear
 * panel below. Drawn as SVG charts (core/report/chart.ts: axes, ticks,
 * legend, honest y ranges) and rasterised by resvg.
 * @module
 */
import { lineChart, type Series, stackCharts } from "../report/chart.ts";
import { writeChartPng } from "../report/chart_png.ts";

/** name → [step, value][] */
export type CurveSeries = Record<string, [number, number][]>;

const asSeries = (s: CurveSeries): Series[] => Object.entries(s).map(([name, points]) => ({ name, points }));

/** The SVG of `loss.png`: the losses (log scale) and, if any, the signed adversarial values (linear). */
export function curvesSvg(losses: CurveSeries, signed: CurveSeries = {}, width = 720): string {
  // A log axis needs positive values: a loss that reaches 0 or below is drawn on a linear axis instead.
  const positive = Object.values(losses).flat().every(([, v]) => !Number.isFinite(v) || v > 0);
  const charts = [
    lineChart(asSeries(losses), {
      title: "training loss",
      xLabel: "step",
      yLabel: "loss",
      yScale: positive ? "log" : "linear",
      width,
      height: 380,
    }),
  ];
  if (Object.keys(signed).length) {
    charts.push(lineChart(asSeries(signed), {
      title: "adversarial terms",
      xLabel: "step",
      yLabel: "value",
      width,
      height: 320,
    }));
  }
  return stackCharts(charts);
}

/** Writes the curves to `path` as a PNG (atomic). */
export function writeCurvesPng(path: string, losses: CurveSeries, signed: CurveSeries = {}): void {
  writeChartPng(path, curvesSvg(losses, signed));
}
