/**
 * The training loop around a train-step graph: feeds state and batches,
 * keeps the new state, logs every step to `log.jsonl`, draws `loss.png`,
 * checkpoints atomically and resumes to the identical loss sequence. A NaN
 * or infinite loss stops the run and keeps the last good checkpoint.
 * @module
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../fs.ts";
import type { TrainStep } from "../autodiff/train_step.ts";
import { Session } from "../runtime/session.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { loadCheckpointState, saveCheckpoint, type TrainState } from "./checkpoint.ts";
import { writeCurvesPng } from "./curve.ts";
import { cosineLr, emaDecay } from "./schedule.ts";

/** Options of {@link runTraining}. */
export interface RunOptions {
  out: string;
  steps: number;
  lr: number;
  endLr: number;
  warmup: number;
  checkpointEvery: number;
  device?: string;
  threads?: number;
  resume?: boolean;
  /** Stop this process after this many steps (a controlled interruption, for tests). */
  stopAfter?: number;
  quiet?: boolean;
  emaMax?: number;
  /** Called after each checkpoint (e.g. to export the EMA model). */
  onCheckpoint?: (state: TrainState) => Promise<void>;
}

/** One logged step. */
export interface StepLog {
  step: number;
  lr: number;
  loss: number;
  grad_norm: number;
  terms: Record<string, number>;
  images_per_s: number;
}

/** Checkpoint path inside a run folder. */
export const checkpointPath = (out: string) => join(out, "checkpoint.safetensors");

const copy = (t: Tensor): Tensor => ({ ...t, data: (t.data as Float32Array).slice() } as Tensor);

function freshState(step: TrainStep, init: Map<string, Tensor>, meta: Record<string, string>): TrainState {
  const pick = (names: { name: string }[]) => new Map(names.map((p) => [p.name, copy(init.get(p.name)!)]));
  const z = () => new Map(step.trainable.map((p) => [p.name, zeros("float32", p.shape) as Tensor]));
  return {
    step: 0,
    params: pick(step.trainable),
    m: z(),
    v: z(),
    ema: pick(step.trainable),
    frozen: pick(step.frozen),
    meta,
  };
}

function readLog(path: string, upTo: number): StepLog[] {
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

/** Trains `step` from `init` (or from the run folder's checkpoint with `resume`); returns the final state and log. */
export async function runTraining(
  step: TrainStep,
  init: Map<string, Tensor>,
  batchAt: (s: number) => Promise<Record<string, Tensor>>,
  meta: Record<string, string>,
  o: RunOptions,
): Promise<{ state: TrainState; log: StepLog[] }> {
  const ckpt = checkpointPath(o.out);
  const logPath = join(o.out, "log.jsonl");
  const state = o.resume && existsSync(ckpt) ? loadCheckpointState(ckpt) : freshState(step, init, meta);
  // The log keeps exactly the steps the checkpoint has seen.
  const log = readLog(logPath, o.resume ? state.step : 0);
  writeFileAtomic(logPath, log.map((l) => JSON.stringify(l) + "\n").join(""));
  // Passive worker threads and no memory arena: measured faster on a busy machine and ~1.5 GB lower peak
  // for an S-128-sized step (bench/README.md).
  const session = await Session.create(step.graph, state.frozen, {
    device: o.device,
    threads: o.threads,
    spinning: false,
    memoryArena: false,
  });
  const batchSize = step.batchInputs[0]?.shape[0] as number ?? 1;
  const started = performance.now();
  let done = 0;
  const save = async () => {
    saveCheckpoint(ckpt, state);
    await writeCurvesPng(join(o.out, "loss.png"), curveSeries(log));
    if (o.onCheckpoint) await o.onCheckpoint(state);
  };
  try {
    while (state.step < o.steps) {
      if (o.stopAfter !== undefined && done >= o.stopAfter) break;
      const s = state.step;
      const lr = cosineLr({ lr: o.lr, endLr: o.endLr, warmup: o.warmup, steps: o.steps }, s);
      const t0 = performance.now();
      const feeds: Record<string, Tensor> = { ...(await batchAt(s)) };
      for (const [name, t] of state.params) {
        feeds[name] = t;
        feeds[`adam_m.${name}`] = state.m.get(name)!;
        feeds[`adam_v.${name}`] = state.v.get(name)!;
        feeds[`ema.${name}`] = state.ema.get(name)!;
      }
      feeds.step = { dtype: "float32", shape: [], data: Float32Array.of(s + 1) };
      feeds.lr = { dtype: "float32", shape: [], data: Float32Array.of(lr) };
      feeds.ema_decay = { dtype: "float32", shape: [], data: Float32Array.of(emaDecay(s, o.emaMax)) };
      const r = await session.run(feeds);
      const loss = Number(r.loss.data[0]);
      if (!Number.isFinite(loss)) {
        throw new Error(
          `loss is ${loss} at step ${
            s + 1
          }; stopped. The last good checkpoint (step ${state.step}) is ${ckpt}`,
        );
      }
      for (const name of state.params.keys()) {
        state.params.set(name, r[`new.${name}`]);
        state.m.set(name, r[`new.adam_m.${name}`]);
        state.v.set(name, r[`new.adam_v.${name}`]);
        state.ema.set(name, r[`new.ema.${name}`]);
      }
      state.step = s + 1;
      done++;
      const entry: StepLog = {
        step: state.step,
        lr,
        loss,
        grad_norm: Number(r.grad_norm.data[0]),
        terms: Object.fromEntries(step.terms.map((k) => [k, Number(r[`loss.${k}`].data[0])])),
        images_per_s: batchSize / ((performance.now() - t0) / 1000),
      };
      log.push(entry);
      appendFileSync(logPath, JSON.stringify(entry) + "\n");
      if (!o.quiet) progressLine(entry, o.steps, started, done);
      if (state.step % o.checkpointEvery === 0 || state.step === o.steps) await save();
    }
  } finally {
    await session.release();
  }
  return { state, log };
}

function curveSeries(log: StepLog[]): Record<string, [number, number][]> {
  const series: Record<string, [number, number][]> = { loss: log.map((l) => [l.step, l.loss]) };
  for (const k of Object.keys(log[0]?.terms ?? {})) series[k] = log.map((l) => [l.step, l.terms[k]]);
  return series;
}

function progressLine(e: StepLog, total: number, started: number, done: number): void {
  const elapsed = (performance.now() - started) / 1000;
  const eta = ((total - e.step) * elapsed) / done;
  const terms = Object.entries(e.terms).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(" ");
  const line = `step ${e.step}/${total} loss ${e.loss.toFixed(4)} (${terms}) ${
    e.images_per_s.toFixed(1)
  } img/s ETA ${eta.toFixed(0)} s`;
  const tty = !!(process.stderr as { isTTY?: boolean }).isTTY;
  if (tty) process.stderr.write(`\r${line}   ${e.step === total ? "\n" : ""}`);
  else if (e.step % 10 === 0 || e.step === total) console.error(line);
}
