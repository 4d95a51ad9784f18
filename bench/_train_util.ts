/**
 * Shared by bench/train_bench.ts, bench/_train_worker.ts and bench/compare_train.ts:
 * the two benchmarked single-stage TiTok configs, their train-step graphs, seeded
 * weights, and a stepper that feeds the whole optimizer state each step as
 * core/train/runner.ts does, and frees the state it replaces (freeTensors).
 *
 * @example
 * ```ts
 * const c = TRAIN_CONFIGS.tiny_vq;
 * const step = buildBenchStep(c);
 * const weights = benchWeights(step, 0);
 * const stepper = await Stepper.open(step, weights, { threads: 2 });
 * const { loss, seconds } = await stepper.run(randomImages(c.batch, 32));
 * ```
 * @module
 */
import { buildTrainStep, type TrainStep } from "../core/autodiff/train_step.ts";
import { trainSessionOptions } from "../core/train/sessions.ts";
import { TITOK_ADAMW } from "../core/autodiff/optimizer.ts";
import { randomWeights } from "../core/init.ts";
import { freeTensors, Session, type SessionOptions } from "../core/runtime/mod.ts";
import { type Tensor, zeros } from "../core/tensor.ts";
import { titok } from "../plugins/titok/mod.ts";
import { type TiTokConfig } from "../plugins/titok/config.ts";
import { dims } from "../plugins/titok/model.ts";
import { titokLoss, titokTrainable } from "../plugins/titok/train.ts";
import { Rng } from "./_titok_util.ts";
import process from "node:process";
import { dirname, join } from "node:path";

/** A benchmarked config: the TiTok config and the (fixed) batch of its step graph. */
export interface TrainConfig {
  name: string;
  batch: number;
  config: TiTokConfig;
}

/** TiTok-S-128's shape as a single-stage VQ model (direct pixel head); upstream has no such preset. */
const S128_SINGLE = {
  model: {
    vq_model: {
      quantize_mode: "vq",
      codebook_size: 4096,
      token_size: 12,
      use_l2_norm: true,
      commitment_cost: 0.25,
      vit_enc_model_size: "small",
      vit_dec_model_size: "small",
      vit_enc_patch_size: 16,
      vit_dec_patch_size: 16,
      num_latent_tokens: 128,
      finetune_decoder: false,
      is_legacy: false,
    },
  },
  dataset: { preprocessing: { crop_size: 256 } },
};

/** The benchmarked configs by name. */
export const TRAIN_CONFIGS: Record<string, TrainConfig> = {
  tiny_vq: { name: "titok/tiny_vq", batch: 8, config: titok.schema.parse(titok.presets["tiny_vq"]) },
  s128_single: { name: "s128-shaped single-stage", batch: 2, config: titok.schema.parse(S128_SINGLE) },
};

/** The single-stage train step of `c` with TiTok's AdamW recipe. */
export function buildBenchStep(c: TrainConfig): TrainStep {
  const o = { stage: "single" as const, batch: c.batch };
  return buildTrainStep("bench_train", titokLoss(c.config, o), titokTrainable(c.config, o), TITOK_ADAMW);
}

/**
 * Seeded weights (TiTok's initialiser) with seeded noise on every bias and norm
 * parameter: the initialiser sets them to exactly 0 and 1, which would hide a
 * misplaced bias in the loss comparison.
 */
export function benchWeights(step: TrainStep, seed: number): Map<string, Tensor> {
  const w = randomWeights([...step.trainable, ...step.frozen], seed);
  const rng = new Rng(seed + 1);
  for (const [name, t] of w) {
    if (!/(bias|(ln_\w+|norm\w*)\.weight)$/.test(name)) continue;
    const d = t.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] += 0.05 * rng.normal();
  }
  return w;
}

/** What torch_train.py needs to rebuild the same model and optimizer (its arch.json). */
export function torchArch(c: TrainConfig): Record<string, number | boolean> {
  const d = dims(c.config);
  const m = c.config.model.vq_model;
  if (m.vit_enc_patch_size !== m.vit_dec_patch_size || m.vit_enc_model_size !== m.vit_dec_model_size) {
    throw new Error(`${c.name}: torch_train.py expects equal encoder and decoder sizes`);
  }
  return {
    ...d.enc,
    patch: m.vit_enc_patch_size,
    image: d.image,
    k: d.k,
    c: d.c,
    codebook: m.codebook_size,
    l2: m.use_l2_norm,
    commitment: m.commitment_cost,
    beta1: TITOK_ADAMW.beta1,
    beta2: TITOK_ADAMW.beta2,
    eps: TITOK_ADAMW.eps,
    weight_decay: TITOK_ADAMW.weightDecay,
    clip: TITOK_ADAMW.clipNorm,
  };
}

/** One step's result. */
export interface StepResult {
  loss: number;
  terms: Record<string, number>;
  gradNorm: number;
  seconds: number;
  /** CPU time of the whole process (all threads, user + system) during the step. */
  cpuSeconds: number;
}

/** Runs train steps on a session, keeping params, AdamW moments and EMA between steps. */
export class Stepper {
  private t = 0;
  private constructor(
    private readonly step: TrainStep,
    private readonly session: Session,
    private readonly state: Map<string, Tensor>,
    private readonly lr: number,
    private readonly emaDecay: number,
  ) {}

  /** Opens the session; frozen parameters become initializers, trainable ones are fed each step. */
  static async open(
    step: TrainStep,
    weights: Map<string, Tensor>,
    opts: SessionOptions & { lr?: number; emaDecay?: number } = {},
  ): Promise<Stepper> {
    const frozen = new Map(step.frozen.map((p) => [p.name, weights.get(p.name)!]));
    // The settings core/train/runner.ts's sessions use.
    const session = await Session.create(step.graph, frozen, { ...trainSessionOptions(step), ...opts });
    const state = new Map<string, Tensor>();
    for (const p of step.trainable) {
      const w = weights.get(p.name)!;
      state.set(p.name, { ...w, data: (w.data as Float32Array).slice() } as Tensor);
      state.set(`adam_m.${p.name}`, zeros("float32", p.shape) as Tensor);
      state.set(`adam_v.${p.name}`, zeros("float32", p.shape) as Tensor);
      state.set(`ema.${p.name}`, { ...w, data: (w.data as Float32Array).slice() } as Tensor);
    }
    return new Stepper(step, session, state, opts.lr ?? 1e-4, opts.emaDecay ?? 0.999);
  }

  /** One step on `image`; `seconds` covers building the feeds, the run and keeping the new state. */
  async run(image: Tensor): Promise<StepResult> {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const feeds: Record<string, Tensor> = { image };
    for (const [k, v] of this.state) feeds[k] = v;
    feeds.step = { dtype: "float32", shape: [], data: Float32Array.of(++this.t) };
    feeds.lr = { dtype: "float32", shape: [], data: Float32Array.of(this.lr) };
    feeds.ema_decay = { dtype: "float32", shape: [], data: Float32Array.of(this.emaDecay) };
    const r = await this.session.run(feeds);
    const replaced: Tensor[] = [];
    for (const [k, old] of this.state) {
      const next = r[`new.${k}`];
      if (next === old) continue; // updated in place
      this.state.set(k, next);
      replaced.push(old);
    }
    // The replaced state is freed now rather than at V8's next major GC (core/runtime/free.ts).
    freeTensors(replaced);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      loss: Number(r.loss.data[0]),
      terms: Object.fromEntries(this.step.terms.map((k) => [k, Number(r[`loss.${k}`].data[0])])),
      gradNorm: Number(r.grad_norm.data[0]),
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  }

  /** Ends ORT profiling (a stepper opened with `profile: prefix`) and returns the trace file's path. */
  endProfiling(prefix: string): string {
    this.session.endProfiling();
    const dir = dirname(prefix);
    const file = [...Deno.readDirSync(dir)].map((e) => join(dir, e.name))
      .filter((f) => f.startsWith(`${prefix}_`) && f.endsWith(".json")).sort().at(-1);
    if (!file) throw new Error(`no ORT profile ${prefix}_*.json was written`);
    return file;
  }

  /** The engine the session runs on ("direct": ORT's C API through FFI; "node": the Node binding). */
  get engine(): string {
    return this.session.engine;
  }

  /** Frees the session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
