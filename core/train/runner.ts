/**
 * The training loop around train-step graphs: feeds state and batches,
 * keeps the new state, logs every step to `log.jsonl`, draws `loss.png`,
 * checkpoints atomically and resumes to the identical loss sequence. A NaN
 * or infinite loss stops the run and keeps the last good checkpoint.
 *
 * With `gan` (a GAN stage, DESIGN.md "Training"), steps before
 * `gan.start` run the plain generator step only; from it on each step runs
 * the generator step with the adversarial term (the discriminator's current
 * weights fed in) and then the discriminator step on the batch and the
 * generator's reconstruction — upstream's alternation. The GAN sessions are
 * created at the switch, and the plain one is released.
 * @module
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../fs.ts";
import type { TrainStep } from "../autodiff/train_step.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { freeTensors } from "../runtime/free.ts";
import { Rng } from "../init.ts";
import { emptyState, loadCheckpointState, saveCheckpoint, type TrainState } from "./checkpoint.ts";
import { CollapseMonitor } from "./collapse.ts";
import { writeCurvesPng } from "./curve.ts";
import { cosineLr, discriminatorLr, emaDecay } from "./schedule.ts";
import { type GanSteps, StepSessions } from "./sessions.ts";

/** The adversarial part of a run. */
export interface GanRun {
  /** First (0-based) step that trains with the discriminator (upstream `discriminator_start`). */
  start: number;
  /** Builds the adversarial phase's graphs and the discriminator's initial weights (at the switch). */
  build: () => GanSteps;
  /** Peak discriminator learning rate (its cosine schedule spans steps − start). */
  lr: number;
  /** The generator's batch input holding the real images, fed to the discriminator (default `image`). */
  real?: string;
}

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
  gan?: GanRun;
  /** Number of token ids, for the codebook-usage warning (core/train/collapse.ts). */
  vocabulary?: number;
  /** Where warnings go (default: stderr, prefixed `warning:`); they are also returned. */
  onWarning?: (message: string) => void;
  /**
   * Frozen weights the caller loads from their own files at every start
   * (pretrained perceptual networks): given to the sessions, never written to
   * checkpoints, which would otherwise carry hundreds of MB of copies.
   */
  external?: Map<string, Tensor>;
}

/** One logged step; discriminator terms appear as `d.<term>` from the GAN start on. */
export interface StepLog {
  step: number;
  lr: number;
  loss: number;
  grad_norm: number;
  terms: Record<string, number>;
  images_per_s: number;
  d_lr?: number;
  d_grad_norm?: number;
}

/** Checkpoint path inside a run folder. */
export const checkpointPath = (out: string) => join(out, "checkpoint.safetensors");

type Feeds = Record<string, Tensor>;
const copy = (t: Tensor): Tensor => ({ ...t, data: (t.data as Float32Array).slice() } as Tensor);
const scalar = (v: number): Tensor => ({ dtype: "float32", shape: [], data: Float32Array.of(v) });
const zerosLike = (p: { shape: readonly (number | string)[] }) =>
  zeros("float32", p.shape as number[]) as Tensor;

function freshState(
  step: TrainStep,
  init: Map<string, Tensor>,
  meta: Record<string, string>,
  external: Map<string, Tensor>,
) {
  const state = emptyState(meta);
  for (const p of step.trainable) {
    state.params.set(p.name, copy(init.get(p.name)!));
    state.ema.set(p.name, copy(init.get(p.name)!));
    state.m.set(p.name, zerosLike(p));
    state.v.set(p.name, zerosLike(p));
  }
  for (const p of step.frozen) if (!external.has(p.name)) state.frozen.set(p.name, copy(init.get(p.name)!));
  for (const v of step.stateInputs) state.carried.set(v.name, zerosLike(v));
  return state;
}

/**
 * The discriminator's state at the GAN start: nothing touches it before, so
 * it is created then (checkpoints of earlier steps stay small), from its
 * seeded initial weights, zero moments and zero LeCam EMAs.
 */
function startDiscriminator(state: TrainState, gan: GanSteps, start: number, ckpt: string): void {
  if (state.dParams.size) return;
  if (state.step !== start) {
    throw new Error(
      `${ckpt} (step ${state.step}) holds no discriminator state, but the GAN stage starts at ${start}`,
    );
  }
  for (const p of gan.discriminator.trainable) {
    state.dParams.set(p.name, copy(gan.init.get(p.name)!));
    state.dM.set(p.name, zerosLike(p));
    state.dV.set(p.name, zerosLike(p));
  }
  for (const v of gan.discriminator.stateInputs) state.ganState.set(v.name, zerosLike(v));
}

/** Uniform int64 draws in [0, high) for `input`, fixed by the run's seed and the step (resumes repeat them). */
function draws(
  input: { shape: readonly (number | string)[] },
  high: number,
  seed: string | undefined,
  s: number,
) {
  const shape = input.shape as number[];
  const rng = new Rng((Math.imul(Number(seed ?? 0) + 1, 0x9e3779b1) ^ Math.imul(s + 1, 0x85ebca6b)) >>> 0);
  const data = BigInt64Array.from(
    { length: shape.reduce((a, b) => a * b, 1) },
    () => BigInt(Math.floor(rng.next() * high)),
  );
  return { dtype: "int64", shape, data } as Tensor;
}

/** Feeds parameters, their AdamW moments and (if kept) EMA. */
function optimiserFeeds(
  feeds: Feeds,
  params: Map<string, Tensor>,
  m: Map<string, Tensor>,
  v: Map<string, Tensor>,
  ema?: Map<string, Tensor>,
) {
  for (const [name, t] of params) {
    feeds[name] = t;
    feeds[`adam_m.${name}`] = m.get(name)!;
    feeds[`adam_v.${name}`] = v.get(name)!;
    if (ema) feeds[`ema.${name}`] = ema.get(name)!;
  }
}

/** Keeps a step's `new.*` outputs. */
function keepUpdates(
  r: Feeds,
  params: Map<string, Tensor>,
  m: Map<string, Tensor>,
  v: Map<string, Tensor>,
  ema?: Map<string, Tensor>,
) {
  const replaced: Tensor[] = [];
  const swap = (map: Map<string, Tensor>, name: string, next: Tensor) => {
    const old = map.get(name)!;
    if (old === next) return; // updated in place (Session.inPlace)
    replaced.push(old);
    map.set(name, next);
  };
  for (const name of params.keys()) {
    swap(params, name, r[`new.${name}`]);
    swap(m, name, r[`new.adam_m.${name}`]);
    swap(v, name, r[`new.adam_v.${name}`]);
    if (ema) swap(ema, name, r[`new.ema.${name}`]);
  }
  // Nothing else holds the replaced state (feeds are rebuilt each step, checkpoints are written
  // synchronously): free it now rather than at V8's next major GC, which let peak memory grow by
  // ~0.3-0.4 GB a step for an S-128-sized model (bench/README.md, "Memory").
  freeTensors(replaced);
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
): Promise<{ state: TrainState; log: StepLog[]; warnings: string[] }> {
  const warnings: string[] = [];
  const warn = o.onWarning ?? ((m: string) => console.error(`warning: ${m}`));
  const monitor = new CollapseMonitor(o.vocabulary);
  const ckpt = checkpointPath(o.out);
  const logPath = join(o.out, "log.jsonl");
  const gan = o.gan;
  const external = o.external ?? new Map<string, Tensor>();
  const state = o.resume && existsSync(ckpt)
    ? loadCheckpointState(ckpt)
    : freshState(step, init, meta, external);
  // The log keeps exactly the steps the checkpoint has seen.
  const log = readLog(logPath, o.resume ? state.step : 0);
  writeFileAtomic(logPath, log.map((l) => JSON.stringify(l) + "\n").join(""));
  const sessions = new StepSessions(step, gan?.build, new Map([...state.frozen, ...external]), {
    device: o.device,
    threads: o.threads,
  });
  const batchSize = step.batchInputs[0]?.shape[0] as number ?? 1;
  const started = performance.now();
  let done = 0;
  const save = async () => {
    saveCheckpoint(ckpt, state);
    await writeCurvesPng(join(o.out, "loss.png"), ...curveSeries(log));
    if (o.onCheckpoint) await o.onCheckpoint(state);
  };
  const stopIfBad = (loss: number, what: string, s: number) => {
    if (Number.isFinite(loss)) return;
    throw new Error(
      `${what} is ${loss} at step ${
        s + 1
      }; stopped. The last good checkpoint (step ${state.step}) is ${ckpt}`,
    );
  };
  try {
    while (state.step < o.steps) {
      if (o.stopAfter !== undefined && done >= o.stopAfter) break;
      const s = state.step;
      const adversarial = !!gan && s >= gan.start;
      const phase = await sessions.at(adversarial);
      if (adversarial) startDiscriminator(state, phase.gan!, gan.start, ckpt);
      const lr = cosineLr({ lr: o.lr, endLr: o.endLr, warmup: o.warmup, steps: o.steps }, s);
      const t0 = performance.now();
      const batch = await batchAt(s);
      const feeds: Feeds = { ...batch };
      optimiserFeeds(feeds, state.params, state.m, state.v, state.ema);
      if (adversarial) { for (const [name, t] of state.dParams) feeds[name] = t; }
      for (const [name, t] of state.carried) feeds[name] = t;
      for (const d of phase.generatorStep.draws) feeds[d.input.name] = draws(d.input, d.high, meta.seed, s);
      feeds.step = scalar(s + 1);
      feeds.lr = scalar(lr);
      feeds.ema_decay = scalar(emaDecay(s, o.emaMax));
      const r = await phase.generator.run(feeds);
      const loss = Number(r.loss.data[0]);
      stopIfBad(loss, "loss", s);
      // A finite loss can still come with an infinite gradient, which clipping turns into NaN weights.
      stopIfBad(Number(r.grad_norm.data[0]), "the gradient norm", s);
      if (r.tokens) {
        for (const m of monitor.observe(s + 1, r.tokens)) {
          warnings.push(m);
          warn(m);
        }
      }
      const terms = Object.fromEntries(phase.generatorTerms.map((k) => [k, Number(r[`loss.${k}`].data[0])]));
      let d: Feeds | undefined, dLr: number | undefined;
      if (adversarial && phase.discriminator && phase.gan) {
        dLr = discriminatorLr(
          { lr: gan.lr, baseLr: o.lr, endLr: o.endLr, warmup: o.warmup, steps: o.steps },
          gan.start,
          s,
        );
        const dFeeds: Feeds = {
          image: batch[gan.real ?? "image"],
          reconstruction: r.reconstruction,
          ...Object.fromEntries(state.ganState),
        };
        optimiserFeeds(dFeeds, state.dParams, state.dM, state.dV);
        dFeeds.step = scalar(s - gan.start + 1);
        dFeeds.lr = scalar(dLr);
        d = await phase.discriminator.run(dFeeds);
        stopIfBad(Number(d.loss.data[0]), "the discriminator loss", s);
        stopIfBad(Number(d.grad_norm.data[0]), "the discriminator's gradient norm", s);
        for (const k of phase.gan.discriminator.terms) terms[`d.${k}`] = Number(d[`loss.${k}`].data[0]);
        terms["d.loss"] = Number(d.loss.data[0]);
      }
      // Both steps succeeded. (State updated in place has moved on already; a failed step above
      // stops the run, and the checkpoint on disk is the last good state.)
      keepUpdates(r, state.params, state.m, state.v, state.ema);
      for (const k of state.carried.keys()) state.carried.set(k, r[`new.${k}`]);
      if (d) {
        keepUpdates(d, state.dParams, state.dM, state.dV);
        for (const k of state.ganState.keys()) state.ganState.set(k, d[`new.${k}`]);
      }
      state.step = s + 1;
      done++;
      const entry: StepLog = {
        step: state.step,
        lr,
        loss,
        grad_norm: Number(r.grad_norm.data[0]),
        terms,
        images_per_s: batchSize / ((performance.now() - t0) / 1000),
        ...(d ? { d_lr: dLr, d_grad_norm: Number(d.grad_norm.data[0]) } : {}),
      };
      log.push(entry);
      appendFileSync(logPath, JSON.stringify(entry) + "\n");
      if (!o.quiet) progressLine(entry, o.steps, started, done);
      if (state.step % o.checkpointEvery === 0 || state.step === o.steps) await save();
    }
  } finally {
    await sessions.release();
  }
  return { state, log, warnings };
}

type Series = Record<string, [number, number][]>;

/**
 * Losses on a log scale; the adversarial values (the generator's `gan`
 * term, −mean D(x̂), and the discriminator's `d.*` terms) change sign, so
 * they go to a linear panel.
 */
function curveSeries(log: StepLog[]): [Series, Series] {
  const keys = [...new Set(log.flatMap((l) => Object.keys(l.terms)))];
  const series = (k: string) =>
    log.filter((l) => k in l.terms).map((l) => [l.step, l.terms[k]] as [number, number]);
  const signed = (k: string) => k === "gan" || k.startsWith("d.");
  const losses: Series = { loss: log.map((l) => [l.step, l.loss]) };
  const linear: Series = {};
  for (const k of keys) (signed(k) ? linear : losses)[k] = series(k);
  return [losses, linear];
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
