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
 * generator's reconstruction — upstream's alternation (with
 * `order: "discriminator-first"`, taming's: the discriminator steps first on a
 * forward-only reconstruction, then the generator against its new weights) — or, with a cadence
 * (core/train/gan_plan.ts), one of the two, a discriminator-only step taking
 * the reconstruction from a forward-only graph. With step `variants` (ALIT:
 * one graph per rollout iteration) each step runs its variant's graph, which
 * may train a subset of the parameters; the EMA of the others moves on the
 * host. The GAN sessions are created at the switch, and the plain ones are
 * released. With `accumulate` N, each step runs N micro-batches through both
 * networks and updates each once (core/train/accumulate.ts).
 * @module
 */
import { appendFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../fs.ts";
import type { TrainStep } from "../autodiff/train_step.ts";
import type { Graph } from "../graph/graph.ts";
import type { GanSettings } from "../losses/gan.ts";
import type { Tensor } from "../tensor.ts";
import { loadCheckpointState, saveCheckpoint, type TrainState } from "./checkpoint.ts";
import { CollapseMonitor } from "./collapse.ts";
import { writeCurvesPng } from "./curve.ts";
import type { GanSteps } from "./gan.ts";
import { planStep, type StepPlan } from "./gan_plan.ts";
import { GradientSums, microStep, TermMeans } from "./accumulate.ts";
import { constantLr, cosineLr, discriminatorLr, emaDecay } from "./schedule.ts";
import { StepSessions } from "./sessions.ts";
import { curveSeries, progressLine, readLog, type StepLog } from "./run_log.ts";
import {
  carriedMap,
  draws,
  type Feeds,
  freshState,
  hostEma,
  keepUpdates,
  optimiserFeeds,
  scalar,
  startDiscriminator,
  stateOf,
} from "./step_state.ts";

export type { StepLog } from "./run_log.ts";

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
  /** The schedule (weights, cadence, epoch length) and discriminator settings, where not TiTok's defaults. */
  settings?: GanSettings;
}

/** A stage's step variants beyond variant 0 (the `step` argument). */
export interface StepVariants {
  count: number;
  /** The plain train step of variant v ≥ 1. */
  step(v: number): TrainStep;
  /** A forward-only graph with output `reconstruction` (for discriminator-only steps). */
  reconstruct?(v: number): Graph;
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
  /** Number of token ids, for the codebook-usage warning (core/train/collapse.ts). */
  vocabulary?: number;
  /** Where warnings go (default: stderr, prefixed `warning:`); they are also returned. */
  onWarning?: (message: string) => void;
  /** Called after each checkpoint (e.g. to export the EMA model). */
  onCheckpoint?: (state: TrainState) => Promise<void>;
  gan?: GanRun;
  /**
   * Frozen weights the caller loads from their own files at every start
   * (pretrained perceptual networks): given to the sessions, never written to
   * checkpoints, which would otherwise carry hundreds of MB of copies.
   */
  external?: Map<string, Tensor>;
  variants?: StepVariants;
  /**
   * Micro-batches per optimiser step (gradient accumulation, core/train/accumulate.ts; default 1).
   * With N > 1 every train step (plain, GAN generator and discriminator) must be built with
   * `accumulate: "final"`. Steps, the schedule, EMA updates and checkpoints count optimiser steps.
   */
  accumulate?: number;
  /** The learning-rate schedule: warm-up then cosine to `endLr` (default), or warm-up then constant. */
  schedule?: "cosine" | "constant";
  /** A forward-only graph of variant v with output `reconstruction` (discriminator-only or discriminator-first steps). */
  reconstruct?(v: number): Graph;
}

/** Where one micro-batch of a step stands. */
interface MicroBatch {
  /** The 0-based optimiser step. */
  s: number;
  /** The micro-batch's data index, s·N + k (seeds its integer draws). */
  index: number;
  first: boolean;
  /** The step's last micro-batch: the one that updates. */
  final: boolean;
  batch: Feeds;
  lr: number;
  dLr?: number;
  decay: number;
  means: TermMeans;
}

/** Checkpoint path inside a run folder. */
export const checkpointPath = (out: string) => join(out, "checkpoint.safetensors");

/** Trains `step` from `init` (or from the run folder's checkpoint with `resume`); returns the final state and log. */
export async function runTraining(
  step: TrainStep,
  init: Map<string, Tensor>,
  batchAt: (s: number, micro: number) => Promise<Record<string, Tensor>>,
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
  const count = Math.max(1, o.variants?.count ?? 1);
  const plainSteps = Array.from({ length: count }, (_, v) => (v === 0 ? step : o.variants!.step(v)));
  const state = o.resume && existsSync(ckpt)
    ? loadCheckpointState(ckpt)
    : freshState(plainSteps, init, meta, external);
  // The log keeps exactly the steps the checkpoint has seen.
  const log = readLog(logPath, o.resume ? state.step : 0);
  writeFileAtomic(logPath, log.map((l) => JSON.stringify(l) + "\n").join(""));
  const sessions = new StepSessions(new Map([...state.frozen, ...external]), {
    device: o.device,
    threads: o.threads,
  });
  let ganSteps: GanSteps | undefined;
  const schedule = gan && { start: gan.start, weight: 0, ...gan.settings };
  const dFirst = gan?.settings?.order === "discriminator-first";
  const dFromZero = !!gan?.settings?.discriminatorStepsFromZero;
  const batchSize = step.batchInputs[0]?.shape[0] as number ?? 1;
  const started = performance.now();
  let done = 0;
  const save = async () => {
    saveCheckpoint(ckpt, state);
    writeCurvesPng(join(o.out, "loss.png"), ...curveSeries(log));
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
  /** The generator's reconstruction of variant `v` without an update (a discriminator-only step). */
  const reconstruct = async (v: number, batch: Feeds): Promise<Tensor> => {
    const build = o.reconstruct ?? o.variants?.reconstruct;
    if (!build) throw new Error("a discriminator-only step needs RunOptions.reconstruct");
    const session = await sessions.get("gan", `reconstruct.${v}`, () => build(v));
    const feeds: Feeds = {};
    for (const i of session.inputs) feeds[i.name] = batch[i.name] ?? state.params.get(i.name)!;
    return (await session.run(feeds)).reconstruction;
  };
  const n = Math.max(1, o.accumulate ?? 1);
  const gSums = new GradientSums(n), dSums = new GradientSums(n);
  /** One micro-batch of the generator: updates state at the step's last one; returns the outputs. */
  const generatorPass = async (plan: StepPlan, at: MicroBatch): Promise<Feeds> => {
    const phase = plan.adversarial ? "gan" : "plain";
    const whole = plan.adversarial ? ganSteps!.generator(plan.variant) : plainSteps[plan.variant];
    const g = microStep(whole, at.final);
    if (plan.adversarial) {
      startDiscriminator(state, ganSteps!, ganSteps!.discriminator(plan.variant), gan!.start, ckpt);
    }
    const session = await sessions.get(phase, `${g.graph.name}`, () => g);
    const feeds: Feeds = { ...at.batch };
    if (at.final) {
      optimiserFeeds(
        feeds,
        g.trainable.map((p) => p.name),
        state.params,
        state.m,
        state.v,
        state.ema,
      );
    } else for (const p of g.trainable) feeds[p.name] = state.params.get(p.name)!;
    gSums.feed(feeds, g, at.first);
    for (const p of g.fed) feeds[p.name] = state.dParams.get(p.name)!;
    for (const v of g.stateInputs) feeds[v.name] = stateOf(state, v);
    for (const d of g.draws) feeds[d.input.name] = draws(d.input, d.high, meta.seed, at.index);
    if (at.final) {
      feeds.step = scalar(at.s + 1);
      feeds.lr = scalar(at.lr);
      feeds.ema_decay = scalar(at.decay);
    }
    if (g.batchInputs.some((v) => v.name === "gan_weight")) feeds.gan_weight = scalar(plan.weight);
    const r = await session.run(feeds);
    stopIfBad(Number(r.loss.data[0]), "loss", at.s);
    // A finite loss can still come with an infinite gradient, which clipping turns into NaN weights.
    stopIfBad(Number(r.grad_norm.data[0]), "the gradient norm", at.s);
    if (r.tokens) {
      for (const m of monitor.observe(at.s + 1, r.tokens)) {
        warnings.push(m);
        warn(m);
      }
    }
    for (const v of g.stateInputs) carriedMap(state, v.name).set(v.name, r[`new.${v.name}`]);
    if (at.final) keepUpdates(r, g.trainable.map((p) => p.name), state.params, state.m, state.v, state.ema);
    else gSums.keep(r, g);
    const terms: Record<string, number> = { loss: Number(r.loss.data[0]) };
    for (const k of g.terms) terms[k] = Number(r[`loss.${k}`].data[0]);
    at.means.add(terms);
    return r;
  };
  /** One micro-batch of the discriminator on the batch's real images and `reconstruction`. */
  const discriminatorPass = async (
    plan: StepPlan,
    at: MicroBatch,
    reconstruction: Tensor,
  ): Promise<Feeds> => {
    const whole = ganSteps!.discriminator(plan.variant);
    const ds = microStep(whole, at.final);
    startDiscriminator(state, ganSteps!, whole, gan!.start, ckpt);
    const dFeeds: Feeds = { image: at.batch[gan!.real ?? "image"], reconstruction };
    for (const v of ds.stateInputs) dFeeds[v.name] = stateOf(state, v);
    dSums.feed(dFeeds, ds, at.first);
    // Each discriminator's AdamW counts its own updates (torch keeps a step per parameter).
    const counter = `updates.${ganSteps!.discriminatorIndex(plan.variant)}`;
    const before = dFromZero ? at.s : at.s - gan!.start;
    const updates = Number(state.ganState.get(counter)?.data[0] ?? before) + 1;
    if (at.final) {
      optimiserFeeds(dFeeds, ds.trainable.map((p) => p.name), state.dParams, state.dM, state.dV);
      dFeeds.step = scalar(updates);
      dFeeds.lr = scalar(at.dLr!);
    } else for (const p of ds.trainable) dFeeds[p.name] = state.dParams.get(p.name)!;
    const session = await sessions.get("gan", `discriminator.${ds.graph.name}`, () => ds, new Map());
    const d = await session.run(dFeeds);
    stopIfBad(Number(d.loss.data[0]), "the discriminator loss", at.s);
    stopIfBad(Number(d.grad_norm.data[0]), "the discriminator's gradient norm", at.s);
    for (const v of ds.stateInputs) carriedMap(state, v.name).set(v.name, d[`new.${v.name}`]);
    if (at.final) {
      keepUpdates(d, ds.trainable.map((p) => p.name), state.dParams, state.dM, state.dV);
      state.ganState.set(counter, scalar(updates));
    } else dSums.keep(d, ds);
    const terms: Record<string, number> = { "d.loss": Number(d.loss.data[0]) };
    for (const k of ds.terms) terms[`d.${k}`] = Number(d[`loss.${k}`].data[0]);
    at.means.add(terms);
    return d;
  };
  try {
    while (state.step < o.steps) {
      if (o.stopAfter !== undefined && done >= o.stopAfter) break;
      const s = state.step;
      const plan = planStep(s, { variants: count, gan: schedule });
      if (plan.adversarial) ganSteps ??= gan!.build();
      const lr = o.schedule === "constant"
        ? constantLr({ lr: o.lr, warmup: o.warmup }, s)
        : cosineLr({ lr: o.lr, endLr: o.endLr, warmup: o.warmup, steps: o.steps }, s);
      const decay = emaDecay(s, o.emaMax);
      const dLr = !plan.discriminator ? undefined : gan!.settings?.sameLr ? lr : discriminatorLr(
        { lr: gan!.lr, baseLr: o.lr, endLr: o.endLr, warmup: o.warmup, steps: o.steps },
        gan!.start,
        s,
      );
      const t0 = performance.now();
      const gMeans = new TermMeans(), dMeans = new TermMeans();
      let r: Feeds | undefined, d: Feeds | undefined;
      for (let k = 0; k < n; k++) {
        const batch = await batchAt(s, k);
        const at = (means: TermMeans): MicroBatch => ({
          s,
          index: s * n + k,
          first: k === 0,
          final: k === n - 1,
          batch,
          lr,
          dLr,
          decay,
          means,
        });
        if (plan.generator && plan.discriminator && dFirst && k === n - 1) {
          // Upstream steps the discriminator first, then the generator against the updated one.
          d = await discriminatorPass(plan, at(dMeans), await reconstruct(plan.variant, batch));
          r = await generatorPass(plan, at(gMeans));
          continue;
        }
        if (plan.generator) r = await generatorPass(plan, at(gMeans));
        if (plan.discriminator) {
          const reconstruction = r?.reconstruction ?? await reconstruct(plan.variant, batch);
          d = await discriminatorPass(plan, at(dMeans), reconstruction);
        }
      }
      const touched = new Set(
        plan.generator
          ? (plan.adversarial ? ganSteps!.generator(plan.variant) : plainSteps[plan.variant])
            .trainable.map((p) => p.name)
          : [],
      );
      if (touched.size < state.params.size) hostEma(state, touched, decay);
      state.step = s + 1;
      done++;
      const gm = gMeans.mean(), dm = dMeans.mean();
      const lead = r ?? d!;
      const { loss: gLoss, ...gTerms } = gm;
      const terms = { ...gTerms, ...dm };
      const entry: StepLog = {
        step: state.step,
        lr,
        loss: r ? gLoss : dm["d.loss"],
        grad_norm: Number(lead.grad_norm.data[0]),
        terms,
        imagesPerS: batchSize * n / ((performance.now() - t0) / 1000),
        ...(d ? { d_lr: dLr, d_grad_norm: Number(d.grad_norm.data[0]) } : {}),
        ...(count > 1 ? { variant: plan.variant } : {}),
        ...(r ? {} : { generator: false }),
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
