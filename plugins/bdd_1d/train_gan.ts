/**
 * BDD-1D's discriminator and optimisation recipe, as upstream's
 * `VQModel2WithEntropyDINOLoss` trains them (taming `vqgan_dino.py`
 * `training_step` / `configure_optimizers`, `main.py`, `VQLPIPSWithDiscriminator`):
 *
 * - **Network**: taming's `NLayerDiscriminator` (core/nn/patchgan.ts) with
 *   `disc_in_channels` 3, `disc_ndf` 64, `disc_num_layers` 3, BatchNorm in
 *   training mode, under upstream's key `loss.discriminator.*` (so a
 *   Lightning `.ckpt` given to `--weights` starts it), on images in [−1, 1];
 *   `weights_init` (N(0, 0.02²) convs, N(1, 0.02²) norms). Hinge loss
 *   (`disc_loss: vanilla` gives softplus). ActNorm and conditional
 *   discriminators are refused by key.
 * - **Order**: each batch computes x̂, the discriminator loss on (x, x̂),
 *   steps the discriminator, and only then the generator's loss, whose
 *   −mean D(x̂) sees the updated discriminator.
 * - **Start**: `disc_start` counts Lightning's `global_step`, which moves
 *   twice per optimiser step (two optimisers; train_config.ts `globalStep`):
 *   the GAN joins at optimiser step ⌈disc_start / 2⌉ (5000). Before it
 *   upstream already steps the discriminator's Adam with zero gradients
 *   (`disc_factor` is 0), so its bias corrections count from step 0.
 * - **Optimiser**: torch.optim.Adam for both (not AdamW: no weight decay),
 *   β (0.5, 0.9) from `loss_config`, eps 1e-8, no clipping, one rate.
 * - **Schedule**: LambdaLR min(s / warmup_steps, 1) (warm-up 5000, then
 *   constant; `min_lr_multiplier` is read but unused upstream), stepped per
 *   optimiser step: the first update runs at rate 0.
 * - **Rate**: main.py's base_learning_rate × batch × GPUs × grad_acc_steps;
 *   on one machine (GPUs = 1) tok1d takes base × batch × accumulate, which
 *   gives upstream's 1.024e-4 for the same images per update (upstream: 4 per
 *   GPU × 2 GPUs × 16 = 128; tok1d: e.g. batch 8 × accumulate 16).
 * - **Accumulation**: `grad_acc_steps` (16 shipped) micro-batches per step,
 *   both networks' losses divided by it, each optimiser stepped once.
 *
 * @module
 */
import type { GanNetwork, GanSettings } from "../../core/losses/gan.ts";
import { batchNormBuffers } from "../../core/nn/batch_norm.ts";
import { patchGan, type PatchGanOptions, patchGanWeights } from "../../core/nn/patchgan.ts";
import { add, f32, mul } from "../../core/ops/mod.ts";
import type { TrainRecipe } from "../../core/plugin.ts";
import type { Tensor } from "../../core/tensor.ts";
import type { BddConfig } from "./config.ts";
import { bddLossSettings, bddRecipeKeys } from "./train_config.ts";

/** Upstream's checkpoint prefix of the discriminator. */
export const BDD_DISCRIMINATOR_PREFIX = "loss.discriminator.";

/** The PatchGAN's size from `loss_config.params`. */
export function bddPatchGan(c: BddConfig): PatchGanOptions {
  const w = bddLossSettings(c);
  return { ndf: w.disc_ndf, layers: w.disc_num_layers, inChannels: w.disc_in_channels };
}

/** Upstream's discriminator of a config, as a declared GAN network (see the module doc). */
export function bddDiscriminator(c: BddConfig): GanNetwork {
  const size = bddPatchGan(c);
  return {
    name: `taming NLayerDiscriminator (ndf ${size.ndf}, ${size.layers} layers, BatchNorm)`,
    perVariant: false,
    prefix: () => BDD_DISCRIMINATOR_PREFIX,
    fromWeights: true,
    logits: (g, image, _index, buffers) => {
      // tok1d's images are [0, 1]; upstream's discriminator sees [−1, 1].
      const x = add(
        g,
        mul(g, image, g.constant(f32([], [2]), "two")),
        g.constant(f32([], [-1]), "minus_one"),
      );
      return g.scope("loss", () => g.scope("discriminator", () => patchGan(g, x, buffers, size)));
    },
    init(params, buffers, seed) {
      const out = new Map<string, Tensor>(patchGanWeights(params, seed));
      for (const v of buffers) {
        const m = /^(.*)\.running_(mean|var)$/.exec(v.name);
        if (!m) continue;
        for (const [k, t] of batchNormBuffers(m[1], v.shape[0] as number)) if (k === v.name) out.set(k, t);
      }
      return out;
    },
  };
}

/** ⌈disc_start / 2⌉: the optimiser step at which Lightning's double-counted `global_step` reaches disc_start. */
export function bddDiscStart(c: BddConfig): number {
  return Math.ceil(bddLossSettings(c).disc_start / 2);
}

/** Upstream's GAN (see the module doc); the discriminator runs at the generator's rate. */
export function bddGan(c: BddConfig): GanSettings {
  const w = bddLossSettings(c);
  return {
    start: bddDiscStart(c),
    weight: w.disc_weight,
    factor: w.disc_factor,
    lecamWeight: 0,
    lr: 0,
    sameLr: true,
    order: "discriminator-first",
    discriminatorStepsFromZero: true,
    loss: w.disc_loss,
    network: bddDiscriminator(c),
  };
}

/** Upstream's optimisation recipe for `batch` images per micro-batch (see the module doc). */
export function bddRecipe(c: BddConfig, o: { batch: number; accumulate?: number }): TrainRecipe {
  const k = bddRecipeKeys(c);
  const accumulate = o.accumulate ?? k.grad_acc_steps;
  const lr = k.base_learning_rate * o.batch * accumulate;
  return {
    accumulate,
    lr,
    warmup: bddLossSettings(c).warmup_steps,
    schedule: "constant",
    why: `accumulate ${accumulate} (grad_acc_steps), lr ${lr.toExponential(3)} = base_learning_rate ` +
      `${k.base_learning_rate} × batch ${o.batch} × accumulate ${accumulate}, warm-up ` +
      `${bddLossSettings(c).warmup_steps} steps then constant`,
  };
}
