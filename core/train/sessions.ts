/**
 * The ONNX Runtime sessions of a training run, opened when a step first
 * needs them and kept per phase: the plain phase (the generator's graphs
 * before the GAN start, one per step variant) or the adversarial phase (the
 * generator's graphs with the adversarial term, the discriminator's and the
 * forward-only reconstruction graphs). Entering a phase releases the other's,
 * so at most one phase holds memory.
 * @module
 */
import { stateUpdates, type TrainStep } from "../autodiff/train_step.ts";
import type { Graph } from "../graph/graph.ts";
import { Session, type SessionOptions } from "../runtime/session.ts";
import type { Tensor } from "../tensor.ts";

/** Session settings of a run. */
export interface SessionSettings {
  device?: string;
  threads?: number;
}

/**
 * How a train step's session runs: ORT's memory arena (saves ~27 % of an S-128-sized step, which
 * otherwise page-faults fresh memory for every intermediate), the state updated in place on the C API
 * engine, and spinning worker threads (ORT's default: a step's ~6000 kernels each wake the pool, and
 * waking sleeping threads cost ~15 % of the step; bench/README.md, "Memory" and "In-place state").
 */
export function trainSessionOptions(step: TrainStep): SessionOptions {
  return { spinning: true, memoryArena: true, inPlace: stateUpdates(step), engine: "auto" };
}

/** Lazily opened sessions, cached by key within the current phase. */
export class StepSessions {
  private phase?: string;
  private readonly open = new Map<string, Session>();

  constructor(
    /** Frozen weights the generator-side graphs read (initializers). */
    private readonly frozen: Map<string, Tensor>,
    private readonly settings: SessionSettings,
  ) {}

  /**
   * The session of a train step (`step`) or a forward-only graph, under `key` in `phase`;
   * `weights` (default: the frozen ones) become initializers.
   */
  async get(
    phase: string,
    key: string,
    build: () => TrainStep | Graph,
    weights: Map<string, Tensor> = this.frozen,
  ): Promise<Session> {
    if (this.phase !== phase) {
      await this.release();
      this.phase = phase;
    }
    const known = this.open.get(key);
    if (known) return known;
    const built = build();
    const session = "graph" in built
      ? await Session.create(built.graph, weights, { ...this.settings, ...trainSessionOptions(built) })
      : await Session.create(built, weights, {
        ...this.settings,
        spinning: true,
        memoryArena: true,
        engine: "auto",
      });
    this.open.set(key, session);
    return session;
  }

  /** Releases whatever is open. */
  async release(): Promise<void> {
    const list = [...this.open.values()];
    this.open.clear();
    this.phase = undefined;
    for (const s of list) await s.release();
  }
}
