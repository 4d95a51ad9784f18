/**
 * Evaluation reports: `metrics.json`, reconstruction grids and a
 * self-contained `report.html` (inline styles, embedded PNGs, SVG charts).
 *
 * @example
 * ```ts
 * import { writeEvaluationReport } from "./mod.ts";
 * await writeEvaluationReport("out/report", evaluation, { model, family, variant, data });
 * ```
 * @module
 */
export { type ChartOptions, escapeXml, lineChart, type Series, ticks } from "./chart.ts";
export { renderReport, type ReportContent, type ReportCurvePoint, type ReportGrid } from "./html.ts";
export { evaluationJson, reportContent, type ReportContext, writeEvaluationReport } from "./eval_report.ts";
