/**
 * The whole training step as one ONNX graph: inputs are the trainable
 * parameters, their AdamW moments and EMA, the step count, the learning rate,
 * the EMA decay and a batch; outputs are the loss terms, the gradient norm and
 * the new parameters, moments and EMA. Frozen parameters stay initializers.
 *
 * Names: `adam_m.<param>`, `adam_v.<param>`, `ema.<param>` (inputs) and
 * `new.<param>`, `new.adam_m.<param>`, … (outputs); losses are `loss` (the
 * total) and `loss.<term>`.
 * @module
 */
import { Graph, type ParamSpec, type Value } from "../graph/graph.ts";
import { gradients } from "./grad.ts";
import { type AdamWOptions, adamwUpdate, clipByGlobalNorm, decays, emaUpdate } from "./optimizer.ts";

/** What a family supplies: a function that builds the loss on a fresh graph. */
export interface LossBuilder {
  /** Declares batch inputs and parameters on `g`; returns named loss terms and the total to minimise. */
  (g: Graph): { terms: Record<string, Value>; total: Value };
}

/** A built train step. */
export interface TrainStep {
  graph: Graph;
  trainable: ParamSpec[];
  frozen: ParamSpec[];
  /** Batch inputs the caller feeds each step (besides state, `step`, `lr`, `ema_decay`). */
  batchInputs: Value[];
  terms: string[];
}

/** Builds the train-step graph; `isTrainable(name)` picks the optimised parameters. */
export function buildTrainStep(
  name: string,
  loss: LossBuilder,
  isTrainable: (name: string) => boolean,
  opt: AdamWOptions,
): TrainStep {
  const g = new Graph(name);
  const { terms, total } = loss(g);
  const batchInputs = [...g.inputs];
  const all = [...g.params.values()];
  const trainable = all.filter((p) => isTrainable(p.name));
  const frozen = all.filter((p) => !isTrainable(p.name));
  const grads = gradients(g, total, trainable.map((p) => p.name));
  const step = g.input("step", "float32", []);
  const lr = g.input("lr", "float32", []);
  const emaDecay = g.input("ema_decay", "float32", []);
  const list = trainable.map((p) => {
    const d = grads.get(p.name);
    if (!d) throw new Error(`train step: parameter ${p.name} does not influence the loss; freeze it`);
    return d;
  });
  const clipped = g.scope("clip", () => clipByGlobalNorm(g, list, opt.clipNorm));
  g.output(total, "loss");
  for (const [k, v] of Object.entries(terms)) g.output(v, `loss.${k}`);
  g.output(clipped.norm, "grad_norm");
  trainable.forEach((p, i) => {
    const pv = g.values.get(p.name)!;
    const m = g.input(`adam_m.${p.name}`, p.dtype, p.shape);
    const v = g.input(`adam_v.${p.name}`, p.dtype, p.shape);
    const ema = g.input(`ema.${p.name}`, p.dtype, p.shape);
    const u = g.scope(
      "adamw",
      () => adamwUpdate(g, pv, clipped.grads[i], m, v, step, lr, opt, decays(p.name, p.shape)),
    );
    g.output(u.p, `new.${p.name}`);
    g.output(u.m, `new.adam_m.${p.name}`);
    g.output(u.v, `new.adam_v.${p.name}`);
    g.output(g.scope("ema", () => emaUpdate(g, ema, u.p, emaDecay)), `new.ema.${p.name}`);
  });
  return { graph: g, trainable, frozen, batchInputs, terms: Object.keys(terms) };
}
