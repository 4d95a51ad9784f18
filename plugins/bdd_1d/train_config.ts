/**
 * BDD-1D's training settings from its config's training sections, which the
 * model schema passes through: `model.params.loss_config.params`
 * (`VQLPIPSWithDiscriminatorEntropyDINOLoss`) and
 * `model.params.entropy_loss_weight_scheduler_config.params`
 * (`VQEntropyLossScheduler`). A missing key takes the value of upstream's
 * shipped configs/vqgan_baseline.yaml; a wrong one is a UsageError naming its
 * path. `dino_arch` is tok1d's own key: the DINO helper's size (ViT-B/16
 * unless given; test configs use a tiny one).
 * @module
 */
import { z } from "zod";
import { UsageError } from "../../core/errors.ts";
import type { BddConfig } from "./config.ts";

const weight = (v: number) => z.number().nonnegative().default(v);

/** `loss_config.params` with configs/vqgan_baseline.yaml's values (class defaults where it has none). */
const lossParams = z.looseObject({
  disc_start: z.number().int().nonnegative().default(10_000),
  disc_weight: weight(0.1),
  disc_factor: weight(1.0),
  adaptive_disc_weight: z.boolean().default(true),
  codebook_weight: weight(1.0),
  dino_loss_weight: weight(1.0),
  perceptual_weight: weight(1.0),
  l1_loss_weight: weight(1.0),
  l2_loss_weight: weight(0.0),
  warmup_steps: z.number().int().nonnegative().default(5000),
  min_lr_multiplier: z.number().nonnegative().default(0.1),
  disc_num_layers: z.number().int().positive().default(3),
  disc_in_channels: z.literal(3).default(3),
  disc_ndf: z.number().int().positive().default(64),
  disc_loss: z.enum(["hinge", "vanilla"]).default("hinge"),
  use_actnorm: z.literal(false, {
    error: "ActNorm discriminators are not built here (only BatchNorm, the default)",
  })
    .default(false),
  disc_conditional: z.literal(false, { error: "conditional discriminators are not built here" }).default(
    false,
  ),
  beta_1: z.number().min(0).max(1).default(0.5),
  beta_2: z.number().min(0).max(1).default(0.9),
  dino_arch: z.strictObject({
    patch: z.number().int().positive(),
    width: z.number().int().positive(),
    depth: z.number().int().positive(),
    heads: z.number().int().positive(),
    mlp_dim: z.number().int().positive(),
  }).optional(),
});

/** `VQEntropyLossScheduler` params of the shipped config. */
const schedulerParams = z.looseObject({
  decay_steps: z.number().int().positive().default(10_000),
  weight_max: weight(0.1),
  weight_min: weight(0.001),
});

export type BddLossSettings = z.infer<typeof lossParams>;
export type BddEntropySchedule = z.infer<typeof schedulerParams>;

type Section = { params?: unknown } | undefined;
const section = (c: BddConfig, key: string) => (c.model.params as Record<string, unknown>)[key] as Section;

function parse<T>(schema: z.ZodType<T>, raw: unknown, path: string): T {
  const r = schema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw new UsageError(`config: ${[path, ...i.path].join(".")}: ${i.message}`);
}

/** The loss weights and GAN/optimiser settings of a config. */
export function bddLossSettings(c: BddConfig): BddLossSettings {
  return parse(lossParams, section(c, "loss_config")?.params, "model.params.loss_config.params");
}

/** `model.base_learning_rate` (8e-7) and `model.params.grad_acc_steps` (16 shipped; the class default is 1). */
const recipeKeys = z.object({
  base_learning_rate: z.number().positive().default(8e-7),
  grad_acc_steps: z.number().int().positive().default(1),
});

/** The optimisation numbers of a config: base learning rate and gradient accumulation. */
export function bddRecipeKeys(c: BddConfig): z.infer<typeof recipeKeys> {
  const model = c.model as Record<string, unknown>;
  const params = model.params as Record<string, unknown>;
  const lr = parse(recipeKeys.pick({ base_learning_rate: true }), model, "model");
  const acc = parse(recipeKeys.pick({ grad_acc_steps: true }), params, "model.params");
  return { ...lr, ...acc };
}

/**
 * Lightning's `global_step` at optimiser step s: upstream steps two optimisers per step (manual
 * optimisation), and Lightning counts each (Lightning-AI/pytorch-lightning#17958), so its
 * `disc_start` and the entropy schedule run on 2·s.
 */
export const globalStep = (s: number) => 2 * s;

/** The entropy weight's schedule of a config. */
export function bddEntropySchedule(c: BddConfig): BddEntropySchedule {
  return parse(
    schedulerParams,
    section(c, "entropy_loss_weight_scheduler_config")?.params,
    "model.params.entropy_loss_weight_scheduler_config.params",
  );
}

/** Upstream's `VQEntropyLossScheduler(step)`: linear from weight_max to weight_min over decay_steps, then weight_min. */
export function entropyWeightAt(s: BddEntropySchedule, step: number): number {
  if (step < s.decay_steps) return s.weight_max - (s.weight_max - s.weight_min) / s.decay_steps * step;
  return s.weight_min;
}
