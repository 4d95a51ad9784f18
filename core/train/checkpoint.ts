/**
 * Training checkpoints: one safetensors file holding parameters (`param.*`),
 * AdamW moments (`adam_m.*`, `adam_v.*`), the EMA (`ema.*`) and frozen
 * weights (`frozen.*`), with the step, seed, config and options in its
 * metadata; a GAN stage adds the discriminator's parameters and moments
 * (`d_param.*`, `d_adam_m.*`, `d_adam_v.*`) and its carried graph state, the
 * LeCam EMAs (`gan_state.*`); state the generator's graph carries from step
 * to step (VQ code-usage EMAs) is `carried.*`. Written atomically, so a killed run keeps its
 * last checkpoint.
 * @module
 */
import { existsSync } from "node:fs";
import type { Tensor } from "../tensor.ts";
import { UsageError } from "../errors.ts";
import { readSafetensors, writeSafetensors } from "../weights/safetensors.ts";

/** Everything needed to continue a run exactly. */
export interface TrainState {
  step: number;
  params: Map<string, Tensor>;
  m: Map<string, Tensor>;
  v: Map<string, Tensor>;
  ema: Map<string, Tensor>;
  frozen: Map<string, Tensor>;
  /** The discriminator's parameters (GAN stages; empty otherwise). */
  dParams: Map<string, Tensor>;
  dM: Map<string, Tensor>;
  dV: Map<string, Tensor>;
  /** State carried between discriminator steps (the LeCam EMAs), by graph input name. */
  ganState: Map<string, Tensor>;
  /** State carried between generator steps (e.g. VQ code-usage EMAs), by graph input name. */
  carried: Map<string, Tensor>;
  /** Free-form metadata (seed, config, options). */
  meta: Record<string, string>;
}

const GROUPS = ["params", "m", "v", "ema", "frozen", "dParams", "dM", "dV", "ganState", "carried"] as const;
const PREFIX: Record<typeof GROUPS[number], string> = {
  params: "param.",
  m: "adam_m.",
  v: "adam_v.",
  ema: "ema.",
  frozen: "frozen.",
  dParams: "d_param.",
  dM: "d_adam_m.",
  dV: "d_adam_v.",
  ganState: "gan_state.",
  carried: "carried.",
};

/** A state with no tensors at `step` 0. */
export function emptyState(meta: Record<string, string>): TrainState {
  const state = { step: 0, meta } as TrainState;
  for (const k of GROUPS) state[k] = new Map();
  return state;
}

/** Writes `state` to `path` atomically. */
export function saveCheckpoint(path: string, state: TrainState): void {
  const all = new Map<string, Tensor>();
  for (const k of GROUPS) for (const [name, t] of state[k]) all.set(PREFIX[k] + name, t);
  writeSafetensors(path, all, { ...state.meta, step: String(state.step), format: "tok1d-train" });
}

/** Reads a checkpoint written by {@link saveCheckpoint}. */
export function loadCheckpointState(path: string): TrainState {
  if (!existsSync(path)) throw new UsageError(`--resume: no checkpoint at ${path}`);
  const st = readSafetensors(path);
  if (st.metadata.format !== "tok1d-train") throw new UsageError(`${path}: not a tok1d training checkpoint`);
  const state = emptyState(st.metadata);
  state.step = Number(st.metadata.step);
  for (const [name, t] of st.tensors) {
    const k = GROUPS.find((g) => name.startsWith(PREFIX[g]));
    if (!k) throw new UsageError(`${path}: unexpected tensor ${name}`);
    // Copy out of the file buffer so updates never alias it.
    state[k].set(name.slice(PREFIX[k].length), { ...t, data: (t.data as Float32Array).slice() } as Tensor);
  }
  return state;
}
