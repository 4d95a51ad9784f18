/**
 * The whole training step as one ONNX graph: inputs are the trainable
 * parameters, their AdamW moments and EMA, the step count, the learning rate,
 * the EMA decay and a batch; outputs are the loss terms, the gradient norm and
 * the new parameters, moments and EMA. Frozen parameters stay initializers.
 *
 * Names: `adam_m.<param>`, `adam_v.<param>`, `ema.<param>` (inputs) and
 * `new.<param>`, `new.adam_m.<param>`, … (outputs); losses are `loss` (the
 * total) and `loss.<term>`.
 *
 * A GAN stage runs two such graphs: the generator's, into which the
 * discriminator's current weights are fed (`fed` parameters: inputs, neither
 * trained there nor initializers) and which also outputs the reconstruction;
 * and the discriminator's, which carries the LeCam EMAs as state (inputs
 * `<name>`, outputs `new.<name>`) and keeps no weight EMA.
 * @module
 */
import { Graph, type ParamSpec, type Value } from "../graph/graph.ts";
import { add, f32, mul, sub } from "../ops/mod.ts";
import type { Tensor } from "../tensor.ts";
import { gradients } from "./grad.ts";
import { type AdamWOptions, adamwUpdate, clipByGlobalNorm, decays, emaUpdate } from "./optimizer.ts";

/** What a {@link CustomFeed}'s generator gets each step. */
export interface FeedContext {
  /** The graph input it fills (name, dtype, shape). */
  input: Value;
  /** 0-based step; a resumed run asks for the same steps again, so derive randomness from it. */
  step: number;
  /** The micro-batch within an accumulated step (0 … N − 1; 0 without accumulation): randomness should vary with it. */
  micro?: number;
  /** The run's seed. */
  seed: number;
  /** The step's image batch (B,3,S,S in [0,1]), drawn on first use. */
  images(): Promise<Tensor>;
}

/** A batch input the family fills itself (ALIT's iteration index, ElasticTok's kept-count masks, …). */
export interface CustomFeed {
  kind: "custom";
  generate(ctx: FeedContext): Tensor | Promise<Tensor>;
}

/**
 * How the trainer fills a batch input each step: `images` — the step's image
 * batch from the data (B,3,S,S float32 in [0,1]); `normal` — standard-normal
 * draws times `scale` (and the run's noise scale), seeded by run seed and
 * step; `custom` — the family's own generator.
 */
export type Feed = { kind: "images" } | { kind: "normal"; scale?: number } | CustomFeed;

/** What a loss builder returns. */
export interface LossParts {
  /** Named loss terms (outputs `loss.<name>`). */
  terms: Record<string, Value>;
  /** The value minimised. */
  total: Value;
  /** Further outputs by name (e.g. `reconstruction`); not differentiated. */
  outputs?: Record<string, Value>;
  /** Carried state: name of an input the builder declared → its value after the step (output `new.<name>`). */
  state?: Record<string, Value>;
  /**
   * Rows of trained parameters replaced after the optimizer update (VQ dead-code restarts):
   * parameter → the new rows (0 elsewhere) and a (rows, 1) mask; replaced rows restart their AdamW moments.
   */
  restarts?: Record<string, { rows: Value; mask: Value }>;
  /** int64 inputs the builder declared that the trainer fills each step with seeded uniform draws in [0, high). */
  draws?: Record<string, number>;
  /** How each batch input the builder declared is filled (see {@link Feed}); by input name. */
  feeds?: Record<string, Feed>;
}

/** What a family supplies: a function that builds the loss on a fresh graph. */
export interface LossBuilder {
  /** Declares batch inputs and parameters on `g`; returns named loss terms and the total to minimise. */
  (g: Graph): LossParts;
}

/** Options of {@link buildTrainStep} beyond the optimizer. */
export interface TrainStepOptions {
  /** Parameters fed at every run and not optimised here (another network's current weights). */
  isFed?: (name: string) => boolean;
  /** Keep an EMA of the trained weights (inputs `ema.*` and `ema_decay`); default true. */
  ema?: boolean;
  /** A micro-batch of an accumulated step: `partial` (gradient only) or `final` (the update); see the module doc. */
  accumulate?: "partial" | "final";
}

/** A built train step. */
export interface TrainStep {
  graph: Graph;
  trainable: ParamSpec[];
  frozen: ParamSpec[];
  /** Parameters fed by name at every run, not optimised (see {@link TrainStepOptions.isFed}). */
  fed: ParamSpec[];
  /** Batch inputs the caller feeds each step (besides state, `step`, `lr`, `ema_decay`). */
  batchInputs: Value[];
  /** Carried state inputs (each has an output `new.<name>`). */
  stateInputs: Value[];
  /** Inputs filled with seeded uniform integer draws in [0, high) each step. */
  draws: { input: Value; high: number }[];
  /** The builder's declared feeds of batch inputs, by input name (batch inputs it left undeclared are absent). */
  feeds: Record<string, Feed>;
  terms: string[];
  /** Names of the extra outputs. */
  outputs: string[];
  /** Whether the graph keeps a weight EMA. */
  ema: boolean;
  /** Which part of an accumulated step it is, if any ({@link TrainStepOptions.accumulate}). */
  accumulate?: "partial" | "final";
  /** A `final` step's `partial` twin (same loss, parameters and inputs), built on first use. */
  partial?: () => TrainStep;
}

/** Builds the train-step graph; `isTrainable(name)` picks the optimised parameters. */
export function buildTrainStep(
  name: string,
  loss: LossBuilder,
  isTrainable: (name: string) => boolean,
  opt: AdamWOptions,
  o: TrainStepOptions = {},
): TrainStep {
  const g = new Graph(name);
  const { terms, total, outputs = {}, state = {}, restarts = {}, draws = {}, feeds = {} } = loss(g);
  const stateInputs = g.inputs.filter((v) => v.name in state);
  const drawInputs = g.inputs.filter((v) => v.name in draws);
  if (stateInputs.length !== Object.keys(state).length || drawInputs.length !== Object.keys(draws).length) {
    throw new Error(
      `train step: state and draws (${Object.keys({ ...state, ...draws })}) must name declared inputs`,
    );
  }
  const batchInputs = g.inputs.filter((v) => !(v.name in state) && !(v.name in draws));
  for (const name of Object.keys(feeds)) {
    if (!batchInputs.some((v) => v.name === name)) {
      throw new Error(
        `train step: feed ${name} names no batch input (inputs: ${batchInputs.map((v) => v.name)})`,
      );
    }
  }
  const all = [...g.params.values()];
  const isFed = o.isFed ?? (() => false);
  const fed = all.filter((p) => isFed(p.name));
  const trainable = all.filter((p) => !isFed(p.name) && isTrainable(p.name));
  const frozen = all.filter((p) => !isFed(p.name) && !isTrainable(p.name));
  for (const name of Object.keys(restarts)) {
    if (!trainable.some((p) => p.name === name)) {
      throw new Error(`train step: restarted ${name} is not trained`);
    }
  }
  const grads = gradients(g, total, trainable.map((p) => p.name));
  const missing = (name: string) => {
    throw new Error(`train step: parameter ${name} does not influence the loss; freeze it`);
  };
  let list = trainable.map((p) => grads.get(p.name) ?? missing(p.name));
  const accumulate = o.accumulate;
  if (accumulate) {
    // The micro-batch's share of the step's gradient, added to what earlier micro-batches left.
    const scale = g.input("accum_scale", "float32", []);
    list = list.map((d, i) => {
      const p = trainable[i];
      return add(g, g.input(`grad_acc.${p.name}`, p.dtype, p.shape), mul(g, d, scale));
    });
  }
  g.output(total, "loss");
  for (const [k, v] of Object.entries(terms)) g.output(v, `loss.${k}`);
  for (const [k, v] of Object.entries(outputs)) g.output(v, k);
  for (const [k, v] of Object.entries(state)) g.output(v, `new.${k}`);
  const parts = {
    trainable,
    frozen,
    fed,
    batchInputs,
    stateInputs,
    drawInputs,
    draws,
    feeds,
    terms,
    outputs,
  };
  if (accumulate === "partial") {
    // The norm of the gradient so far: a non-finite one stops the run before it is applied.
    g.output(g.scope("clip", () => clipByGlobalNorm(g, list, 0)).norm, "grad_norm");
    trainable.forEach((p, i) => g.output(list[i], `new.grad_acc.${p.name}`));
    return stepOf(g, parts, {
      ema: false,
      accumulate,
    });
  }
  const step = g.input("step", "float32", []);
  const lr = g.input("lr", "float32", []);
  const withEma = o.ema ?? true;
  const emaDecay = withEma ? g.input("ema_decay", "float32", []) : undefined;
  const clipped = g.scope("clip", () => clipByGlobalNorm(g, list, opt.clipNorm));
  g.output(clipped.norm, "grad_norm");
  trainable.forEach((p, i) => {
    const pv = g.values.get(p.name)!;
    const m = g.input(`adam_m.${p.name}`, p.dtype, p.shape);
    const v = g.input(`adam_v.${p.name}`, p.dtype, p.shape);
    const u = g.scope(
      "adamw",
      () =>
        adamwUpdate(g, pv, clipped.grads[i], m, v, step, lr, opt, (opt.decays ?? decays)(p.name, p.shape)),
    );
    const restart = restarts[p.name];
    if (restart) {
      g.scope("restart", () => {
        const keep = sub(g, g.constant(f32([], [1]), "one"), restart.mask);
        u.p = add(g, mul(g, u.p, keep), restart.rows);
        u.m = mul(g, u.m, keep);
        u.v = mul(g, u.v, keep);
      });
    }
    g.output(u.p, `new.${p.name}`);
    g.output(u.m, `new.adam_m.${p.name}`);
    g.output(u.v, `new.adam_v.${p.name}`);
    if (emaDecay) {
      const ema = g.input(`ema.${p.name}`, p.dtype, p.shape);
      g.output(g.scope("ema", () => emaUpdate(g, ema, u.p, emaDecay)), `new.ema.${p.name}`);
    }
  });
  const built = stepOf(g, parts, {
    ema: withEma,
    accumulate,
  });
  if (accumulate === "final") {
    let twin: TrainStep | undefined;
    built.partial = () =>
      twin ??= buildTrainStep(`${name}_partial`, loss, isTrainable, opt, { ...o, accumulate: "partial" });
  }
  return built;
}

interface StepParts {
  trainable: ParamSpec[];
  frozen: ParamSpec[];
  fed: ParamSpec[];
  batchInputs: Value[];
  stateInputs: Value[];
  drawInputs: Value[];
  draws: Record<string, number>;
  feeds: Record<string, Feed>;
  terms: Record<string, Value>;
  outputs: Record<string, Value>;
}

function stepOf(
  g: Graph,
  p: StepParts,
  o: { ema: boolean; accumulate?: "partial" | "final" },
): TrainStep {
  return {
    graph: g,
    trainable: p.trainable,
    frozen: p.frozen,
    fed: p.fed,
    batchInputs: p.batchInputs,
    stateInputs: p.stateInputs,
    draws: p.drawInputs.map((input) => ({ input, high: p.draws[input.name] })),
    feeds: p.feeds,
    terms: Object.keys(p.terms),
    outputs: Object.keys(p.outputs),
    ema: o.ema,
    ...(o.accumulate ? { accumulate: o.accumulate } : {}),
  };
}

/**
 * Each state input of `step` with the output holding its value after the step (`w` → `new.w`,
 * `adam_m.w` → `new.adam_m.w`, …, carried state): the candidates for updating state in place
 * (core/runtime/in_place.ts decides which are safe).
 */
export function stateUpdates(step: TrainStep): [input: string, output: string][] {
  if (step.accumulate === "partial") {
    const acc = step.trainable.map((p) => `grad_acc.${p.name}`);
    return [...acc, ...step.stateInputs.map((v) => v.name)].map((n) => [n, `new.${n}`]);
  }
  const names = step.trainable.flatMap((p) => [
    p.name,
    `adam_m.${p.name}`,
    `adam_v.${p.name}`,
    ...(step.ema ? [`ema.${p.name}`] : []),
  ]);
  return [...names, ...step.stateInputs.map((v) => v.name)].map((n) => [n, `new.${n}`]);
}
