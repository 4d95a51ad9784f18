/**
 * The ONNX Runtime sessions of a training run, created when a phase first
 * needs them: the plain generator step, or — from the GAN start on — the
 * generator step with the adversarial term and the discriminator step (the
 * plain one is released then, so at most one phase holds memory).
 * @module
 */
import { stateUpdates, type TrainStep } from "../autodiff/train_step.ts";
import { Session, type SessionOptions } from "../runtime/session.ts";
import type { Tensor } from "../tensor.ts";

/** The graphs of the adversarial phase, built when it starts. */
export interface GanSteps {
  /** The generator step with the adversarial term: D weights fed, output `reconstruction`. */
  generator: TrainStep;
  /** The discriminator step: inputs `image`, `reconstruction`, its carried state. */
  discriminator: TrainStep;
  /** Initial discriminator weights. */
  init: Map<string, Tensor>;
}

/** The sessions of one phase. */
export interface Phase {
  generator: Session;
  /** The generator's train step (its terms, carried state and draws). */
  generatorStep: TrainStep;
  generatorTerms: string[];
  discriminator?: Session;
  gan?: GanSteps;
}

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

/** Lazily created sessions for the plain and the adversarial phase. */
export class StepSessions {
  private current?: { adversarial: boolean; phase: Phase };

  constructor(
    private readonly plain: TrainStep,
    private readonly gan: (() => GanSteps) | undefined,
    private readonly frozen: Map<string, Tensor>,
    private readonly settings: SessionSettings,
  ) {}

  private open(step: TrainStep, weights: Map<string, Tensor>): Promise<Session> {
    return Session.create(step.graph, weights, { ...this.settings, ...trainSessionOptions(step) });
  }

  /** The sessions for a step with (`adversarial`) or without the GAN terms. */
  async at(adversarial: boolean): Promise<Phase> {
    if (this.current?.adversarial === adversarial) return this.current.phase;
    await this.release();
    let phase: Phase;
    if (!adversarial) {
      phase = {
        generator: await this.open(this.plain, this.frozen),
        generatorStep: this.plain,
        generatorTerms: this.plain.terms,
      };
    } else {
      if (!this.gan) throw new Error("no GAN stage configured");
      const gan = this.gan();
      if (!gan.generator.outputs.includes("reconstruction")) {
        throw new Error("the generator step of a GAN stage must output `reconstruction`");
      }
      phase = {
        generator: await this.open(gan.generator, this.frozen),
        generatorStep: gan.generator,
        generatorTerms: gan.generator.terms,
        discriminator: await this.open(gan.discriminator, new Map()),
        gan,
      };
    }
    this.current = { adversarial, phase };
    return phase;
  }

  /** Releases whatever is open. */
  async release(): Promise<void> {
    const p = this.current?.phase;
    this.current = undefined;
    if (p) {
      await p.generator.release();
      await p.discriminator?.release();
    }
  }
}
