/**
 * A run's log: the `log.jsonl` entries (one per optimiser step), reading them
 * back up to a checkpoint's step, the series `loss.png` draws and the
 * progress line on stderr.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";

/** One logged step; discriminator terms appear as `d.<term>` from the GAN start on. */
export interface StepLog {
  step: number;
  lr: number;
  loss: number;
  grad_norm: number;
  terms: Record<string, number>;
  imagesPerS: number;
  d_lr?: number;
  d_grad_norm?: number;
  /** The step variant (stages with several). */
  variant?: number;
  /** false on a discriminator-only step (`loss` and `grad_norm` are then the discriminator's). */
  generator?: false;
}

/** The log's entries up to step `upTo` (a line torn by a killed process is skipped). */
export function readLog(path: string, upTo: number): StepLog[] {
  if (!existsSync(path)) return [];
  const lines: StepLog[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    try {
      if (line) lines.push(JSON.parse(line));
    } catch {
      // A line torn by a killed process: the checkpoint decides what survives anyway.
    }
  }
  return lines.filter((l) => l.step <= upTo);
}

type Series = Record<string, [number, number][]>;

/**
 * Losses on a log scale; the adversarial values (the generator's `gan`
 * term, −mean D(x̂), and the discriminator's `d.*` terms) change sign, so
 * they go to a linear panel.
 */
export function curveSeries(log: StepLog[]): [Series, Series] {
  const keys = [...new Set(log.flatMap((l) => Object.keys(l.terms)))];
  const series = (k: string) =>
    log.filter((l) => k in l.terms).map((l) => [l.step, l.terms[k]] as [number, number]);
  const signed = (k: string) => k === "gan" || k.startsWith("d.");
  const losses: Series = { loss: log.filter((l) => l.generator !== false).map((l) => [l.step, l.loss]) };
  const linear: Series = {};
  for (const k of keys) (signed(k) ? linear : losses)[k] = series(k);
  return [losses, linear];
}

export function progressLine(e: StepLog, total: number, started: number, done: number): void {
  const elapsed = (performance.now() - started) / 1000;
  const eta = ((total - e.step) * elapsed) / done;
  const terms = Object.entries(e.terms).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(" ");
  const line = `step ${e.step}/${total} loss ${e.loss.toFixed(4)} (${terms}) ${
    e.imagesPerS.toFixed(1)
  } img/s ETA ${eta.toFixed(0)} s`;
  const tty = !!(process.stderr as { isTTY?: boolean }).isTTY;
  if (tty) process.stderr.write(`\r${line}   ${e.step === total ? "\n" : ""}`);
  else if (e.step % 10 === 0 || e.step === total) console.error(line);
}
