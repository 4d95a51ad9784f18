/**
 * Moving a run's state in and out of train-step graphs: the feeds of a
 * step's parameters (only those it declares: a step variant may train a
 * subset), their AdamW moments and EMA, the updates it returns, carried
 * graph state looked up by name, the host-side EMA of parameters a step did
 * not touch, and the seeded integer draws.
 * @module
 */
import type { TrainStep } from "../autodiff/train_step.ts";
import { Rng } from "../init.ts";
import { freeTensors } from "../runtime/free.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { emptyState, type TrainState } from "./checkpoint.ts";
import type { GanSteps } from "./gan.ts";

export type Feeds = Record<string, Tensor>;

export const copy = (t: Tensor): Tensor => ({ ...t, data: (t.data as Float32Array).slice() } as Tensor);
export const scalar = (v: number): Tensor => ({ dtype: "float32", shape: [], data: Float32Array.of(v) });
export const zerosLike = (p: { shape: readonly (number | string)[] }) =>
  zeros("float32", p.shape as number[]) as Tensor;

/** A fresh state: every variant's trainable parameters from `init`, zero moments, the frozen weights. */
export function freshState(
  steps: TrainStep[],
  init: Map<string, Tensor>,
  meta: Record<string, string>,
  external: Map<string, Tensor>,
): TrainState {
  const state = emptyState(meta);
  for (const step of steps) {
    for (const p of step.trainable) {
      if (state.params.has(p.name)) continue;
      state.params.set(p.name, copy(init.get(p.name)!));
      state.ema.set(p.name, copy(init.get(p.name)!));
      state.m.set(p.name, zerosLike(p));
      state.v.set(p.name, zerosLike(p));
    }
  }
  const trained = new Set(state.params.keys());
  for (const step of steps) {
    for (const p of step.frozen) {
      if (!trained.has(p.name) && !external.has(p.name)) state.frozen.set(p.name, copy(init.get(p.name)!));
    }
    for (const v of step.stateInputs) if (!state.carried.has(v.name)) state.carried.set(v.name, zerosLike(v));
  }
  return state;
}

/** Feeds the parameters `names`, their AdamW moments and (if kept) EMA. */
export function optimiserFeeds(
  feeds: Feeds,
  names: Iterable<string>,
  params: Map<string, Tensor>,
  m: Map<string, Tensor>,
  v: Map<string, Tensor>,
  ema?: Map<string, Tensor>,
) {
  for (const name of names) {
    feeds[name] = params.get(name)!;
    feeds[`adam_m.${name}`] = m.get(name)!;
    feeds[`adam_v.${name}`] = v.get(name)!;
    if (ema) feeds[`ema.${name}`] = ema.get(name)!;
  }
}

/** Keeps a step's `new.*` outputs for the parameters `names`. */
export function keepUpdates(
  r: Feeds,
  names: Iterable<string>,
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
  for (const name of names) {
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

/**
 * The EMA step of parameters no graph updated this step (a variant that trains a subset, a
 * discriminator-only step): upstream moves its EMA towards every parameter at every step.
 */
export function hostEma(state: TrainState, skip: ReadonlySet<string>, decay: number): void {
  for (const [name, p] of state.params) {
    if (skip.has(name)) continue;
    const e = state.ema.get(name)!.data as Float32Array;
    const w = p.data as Float32Array;
    for (let i = 0; i < e.length; i++) e[i] = decay * e[i] + (1 - decay) * w[i];
  }
}

/** Where carried state input `name` lives: the discriminator side (`ganState`) or the generator's (`carried`). */
export function carriedMap(state: TrainState, name: string): Map<string, Tensor> {
  return state.ganState.has(name) ? state.ganState : state.carried;
}

/** Uniform int64 draws in [0, high) for `input`, fixed by the run's seed and the step (resumes repeat them). */
export function draws(
  input: { shape: readonly (number | string)[] },
  high: number,
  seed: string | undefined,
  s: number,
): Tensor {
  const shape = input.shape as number[];
  const rng = new Rng((Math.imul(Number(seed ?? 0) + 1, 0x9e3779b1) ^ Math.imul(s + 1, 0x85ebca6b)) >>> 0);
  const data = BigInt64Array.from(
    { length: shape.reduce((a, b) => a * b, 1) },
    () => BigInt(Math.floor(rng.next() * high)),
  );
  return { dtype: "int64", shape, data } as Tensor;
}

/**
 * A discriminator's state when a step first needs it: nothing touches it
 * before, so it is created then (checkpoints of earlier steps stay small),
 * from its initial weights, zero moments and its initial carried state
 * (BatchNorm statistics; LeCam EMAs at 0).
 */
export function startDiscriminator(
  state: TrainState,
  gan: GanSteps,
  d: TrainStep,
  start: number,
  ckpt: string,
): void {
  if (d.trainable.every((p) => state.dParams.has(p.name))) return;
  if (!state.dParams.size && state.step !== start) {
    throw new Error(
      `${ckpt} (step ${state.step}) holds no discriminator state, but the GAN stage starts at ${start}`,
    );
  }
  const init = gan.init(d);
  for (const p of d.trainable) {
    state.dParams.set(p.name, copy(init.get(p.name)!));
    state.dM.set(p.name, zerosLike(p));
    state.dV.set(p.name, zerosLike(p));
  }
  for (const v of d.stateInputs) {
    state.ganState.set(v.name, init.has(v.name) ? copy(init.get(v.name)!) : zerosLike(v));
  }
}

/** A carried state input's current value (zeros the first time a graph declares it). */
export function stateOf(state: TrainState, v: { name: string; shape: readonly (number | string)[] }): Tensor {
  const map = carriedMap(state, v.name);
  if (!map.has(v.name)) map.set(v.name, zerosLike(v));
  return map.get(v.name)!;
}
