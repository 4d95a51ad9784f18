/**
 * The figures bench/upstream.ts prints: per cell (model, batch, phase) the
 * median time of each side over rounds, the ratio upstream / tok1d with the
 * spread of the paired (same-round) ratios, peak RSS and load time of each
 * side's process. Pure functions over the rounds' measurements.
 * @module
 */
import { median } from "./_titok_util.ts";

/** One side's process in one round: seconds per call of each phase, load seconds, peak RSS MiB. */
export interface SideRun {
  encode: number;
  decode: number;
  load: number;
  peakMiB: number;
  /** Process CPU seconds per call (all threads), when the side reports it. */
  cpu?: { encode: number; decode: number };
}

/** Every round of one (model, batch): tok1d's and (when torch runs) upstream's process. */
export interface CellRounds {
  model: string;
  batch: number;
  tok1d: SideRun[];
  upstream: SideRun[];
}

export const PHASES = ["encode", "decode"] as const;
export type Phase = typeof PHASES[number];

/** A table row's numbers. Ratios > 1: tok1d is faster. Upstream fields are undefined without torch. */
export interface CellSummary {
  model: string;
  batch: number;
  phase: Phase;
  tok1dSeconds: number;
  upstreamSeconds?: number;
  /** Median of the rounds' own upstream / tok1d ratios, and their min and max. */
  ratio?: { median: number; min: number; max: number };
  tok1dPeakMiB: number;
  upstreamPeakMiB?: number;
  tok1dLoadSeconds: number;
  upstreamLoadSeconds?: number;
  /** Median process CPU seconds per call: steadier than wall time on a shared host. */
  tok1dCpuSeconds?: number;
  upstreamCpuSeconds?: number;
  rounds: number;
}

/** The two phases of each (model, batch) as rows; paired ratios use rounds where both sides ran. */
export function summarize(cells: CellRounds[]): CellSummary[] {
  return cells.flatMap((c) =>
    PHASES.map((phase) => {
      const row: CellSummary = {
        model: c.model,
        batch: c.batch,
        phase,
        tok1dSeconds: median(c.tok1d.map((r) => r[phase])),
        tok1dPeakMiB: median(c.tok1d.map((r) => r.peakMiB)),
        tok1dLoadSeconds: median(c.tok1d.map((r) => r.load)),
        rounds: c.tok1d.length,
        tok1dCpuSeconds: cpuMedian(c.tok1d, phase),
      };
      if (c.upstream.length) {
        const paired = c.upstream.slice(0, c.tok1d.length).map((u, i) => u[phase] / c.tok1d[i][phase]);
        row.upstreamSeconds = median(c.upstream.map((r) => r[phase]));
        row.ratio = { median: median(paired), min: Math.min(...paired), max: Math.max(...paired) };
        row.upstreamPeakMiB = median(c.upstream.map((r) => r.peakMiB));
        row.upstreamLoadSeconds = median(c.upstream.map((r) => r.load));
        row.upstreamCpuSeconds = cpuMedian(c.upstream, phase);
      }
      return row;
    })
  );
}

function cpuMedian(runs: SideRun[], phase: Phase): number | undefined {
  const xs = runs.flatMap((r) => (r.cpu ? [r.cpu[phase]] : []));
  return xs.length ? median(xs) : undefined;
}

/** Seconds with 3 significant digits (0.0912, 1.10, 10.5). */
export function seconds(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(3);
}

export const TABLE_HEADER = [
  "model",
  "batch",
  "phase",
  "upstream s",
  "tok1d s",
  "upstream / tok1d (min–max)",
  "peak RSS MiB upstream / tok1d",
  "load s upstream / tok1d",
  "CPU s upstream / tok1d",
] as const;

/** A Markdown table of the rows ("—" where torch did not run). */
export function table(rows: CellSummary[]): string {
  const dash = "—";
  const body = rows.map((r) => [
    r.model,
    String(r.batch),
    r.phase,
    r.upstreamSeconds === undefined ? dash : seconds(r.upstreamSeconds),
    seconds(r.tok1dSeconds),
    r.ratio ? `${r.ratio.median.toFixed(2)}× (${r.ratio.min.toFixed(2)}–${r.ratio.max.toFixed(2)})` : dash,
    `${r.upstreamPeakMiB === undefined ? dash : r.upstreamPeakMiB.toFixed(0)} / ${r.tok1dPeakMiB.toFixed(0)}`,
    `${r.upstreamLoadSeconds === undefined ? dash : seconds(r.upstreamLoadSeconds)} / ${
      seconds(r.tok1dLoadSeconds)
    }`,
    `${r.upstreamCpuSeconds === undefined ? dash : seconds(r.upstreamCpuSeconds)} / ${
      r.tok1dCpuSeconds === undefined ? dash : seconds(r.tok1dCpuSeconds)
    }`,
  ]);
  const widths = TABLE_HEADER.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(TABLE_HEADER), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)]
    .join("\n");
}
