/**
 * A run's numbers: the caller's options over the family's recipe
 * (TrainHooks.recipe: upstream's accumulation, rate, warm-up and schedule)
 * over the trainer's defaults (1000 steps, batch 8, lr 1e-4 → 1e-5 cosine
 * after 100 warm-up steps, no accumulation). The recipe's reasoning is noted
 * on stderr when it sets the rate or the accumulation.
 * @module
 */
import { UsageError } from "../errors.ts";
import type { TrainHooks } from "../plugin.ts";
import type { TrainOptions } from "./train.ts";

/** {@link TrainOptions} with every number decided. */
export type ResolvedTrainOptions = TrainOptions & {
  steps: number;
  batchSize: number;
  lr: number;
  endLr: number;
  warmup: number;
  schedule: "cosine" | "constant";
  accumulate: number;
  seed: number;
  checkpointEvery: number;
};

/** The options of a run with the family's recipe and the defaults filled in. */
export function withRecipe<C>(
  options: TrainOptions,
  hooks: TrainHooks<C>,
  config: C,
  stage: string,
  family: string,
): ResolvedTrainOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const batchSize = options.batchSize ?? 8;
  const acc = options.accumulate;
  if (acc !== undefined && !(Number.isInteger(acc) && acc >= 1)) {
    throw new UsageError(`--accumulate: expected a whole number ≥ 1, got '${acc}'`);
  }
  const recipe = hooks.recipe?.(config, stage, { batch: batchSize, accumulate: acc }) ?? {};
  if (recipe.why && !options.quiet && (options.lr === undefined || acc === undefined)) {
    console.error(`note: ${family} recipe: ${recipe.why}`);
  }
  return {
    steps: 1000,
    batchSize,
    lr: recipe.lr ?? 1e-4,
    endLr: 1e-5,
    warmup: recipe.warmup ?? 100,
    schedule: recipe.schedule ?? "cosine",
    accumulate: recipe.accumulate ?? 1,
    seed: 0,
    checkpointEvery: 100,
    ...given,
  } as ResolvedTrainOptions;
}
