/**
 * ALIT's stage 2, full fine-tuning with GAN (upstream `main_full_finetuning.py`,
 * `engines/full_finetuning.py`, `AdaptiveLengthImageTokenizer.forward_gan_losses`,
 * `modules/losses/vqperceptual.py`), as one graph per rollout iteration k
 * (the stage's step variants):
 *
 * - the encoder runs iterations 0 … k (no decoding, no halting before k:
 *   upstream decodes only the loss iteration and halts only after it, and
 *   nothing after k reaches the loss); iteration k is quantised, decoded to
 *   base-code logits, softmax · codebook → the VQGAN decoder → x̂;
 * - nll = mean |x − x̂| + 1.0·mean LPIPS(x, x̂), with taming's LPIPS on the
 *   [0, 1] images as they are (upstream never maps them to [−1, 1]);
 * - total = nll + d·(−mean D_k(x̂)) + VQ_k, d = the adaptive weight
 *   ‖∇nll‖/(‖∇g‖ + 1e-4) at the VQGAN decoder's `conv_out.weight`, clamped to
 *   [0, 1e4], detached, times the scheduled weight (the input `gan_weight`);
 * - D_k is iteration k's own taming PatchGAN (`gan_losses.k.discriminator.*`,
 *   ndf 64, 3 layers, BatchNorm in training mode), hinge loss.
 *
 * The cadence (core/train/gan_plan.ts): epochs 0–20 the generator alone, one
 * iteration per step cycling 0…7; from epoch 21 each cycle of 9 batches trains
 * D_k on 8 and the generator at iteration k on the 9th; counters restart every
 * epoch; weight 0.2 to epoch 100, 0.8 after. Epochs are 1319 steps
 * (ImageNet-100's 126,689 images at upstream's batch 12 × 8 GPUs, drop_last).
 *
 * @example
 * ```ts
 * const loss = alitStage2(cfg, { stage: "stage2", batch: 2, variant: 3 });
 * ```
 * @module
 */
import type { LossBuilder } from "../../core/autodiff/train_step.ts";
import type { AdamWOptions } from "../../core/autodiff/optimizer.ts";
import type { Graph, Value } from "../../core/graph/graph.ts";
import { adaptiveGanWeight } from "../../core/losses/adaptive_weight.ts";
import type { GanNetwork, GanSettings } from "../../core/losses/gan.ts";
import { patchGan, patchGanWeights } from "../../core/nn/patchgan.ts";
import { batchNormBuffers } from "../../core/nn/batch_norm.ts";
import { abs, add, f32, mul, reduceMean, sub } from "../../core/ops/mod.ts";
import type { PerceptualSettings, TrainLossOptions } from "../../core/plugin.ts";
import type { Tensor } from "../../core/tensor.ts";
import { UsageError } from "../../core/errors.ts";
import { type AlitConfig, alitDims, alitEntropyWeight } from "./config.ts";
import { alitEncoderPass, alitInitialSequence, alitNextSequence, alitStep, basePixels } from "./model.ts";

/** The layer upstream's adaptive GAN weight differentiates against (`get_last_layer`), VQGAN base. */
export const LAST_LAYER = "base_tokenizer.vqgan.decoder.conv_out.weight";
/** The same for the VAE base (`adaptive_vae.py` `get_last_layer`). */
export const LAST_LAYER_VAE = "base_tokenizer.vae.decoder.conv_out.weight";

/** Steps per epoch of upstream's stage-2 run: ⌊126,689 / 96⌋ (ImageNet-100 train, batch 12 × 8, drop_last). */
export const ALIT_EPOCH_STEPS = 1319;

const meanAll = (g: Graph, v: Value) => reduceMean(g, v, v.shape.map((_, i) => i), false);

/** Stage 2's loss at rollout iteration `o.variant` (see the module doc). */
export function alitStage2(c: AlitConfig, o: TrainLossOptions): LossBuilder {
  const d = alitDims(c);
  const k = o.variant ?? 0;
  if (!Number.isInteger(k) || k < 0 || k >= d.iters) {
    throw new UsageError(`stage2 variant ${k}: ALIT has iterations 0…${d.iters - 1}`);
  }
  return (g) => {
    const image = g.input("image", "float32", [o.batch, 3, d.image, d.image]);
    // The VAE base samples its posterior every forward (upstream's torch.randn): the noise is an input.
    const noise = d.vae ? g.input("noise", "float32", [o.batch, d.z, d.grid, d.grid]) : undefined;
    let x = alitInitialSequence(g, image, c, noise).x;
    for (let i = 0; i < k; i++) x = alitNextSequence(g, alitEncoderPass(g, x, c), c, i + 1);
    const entropyWeight = alitEntropyWeight(c);
    const s = alitStep(g, x, c, { straightThrough: true, entropy: entropyWeight > 0 });
    const rec = basePixels(g, s.code, c);
    let vq = s.q.losses.quantizer_loss;
    const terms: Record<string, Value> = { l1: meanAll(g, abs(g, sub(g, image, rec))), quantizer: vq };
    if (entropyWeight > 0) {
      terms.entropy = s.q.losses.entropy_aux;
      vq = add(g, vq, mul(g, terms.entropy, g.constant(f32([], [entropyWeight]), "entropy_weight")));
    }
    let nll = terms.l1;
    if (o.perceptual) {
      terms.perceptual = o.perceptual.build(g, image, rec);
      nll = add(g, nll, mul(g, terms.perceptual, g.constant(f32([], [o.perceptual.weight]), "w")));
    }
    let total = add(g, nll, vq);
    if (o.adversarial) {
      const weight = o.adversarial.scale?.(g) ?? g.constant(f32([], [o.adversarial.weight]), "w");
      terms.gan = o.adversarial.build(g, image, rec);
      terms.gan_weight = mul(
        g,
        adaptiveGanWeight(g, nll, terms.gan, d.vae ? LAST_LAYER_VAE : LAST_LAYER),
        weight,
      );
      total = add(g, total, mul(g, terms.gan, terms.gan_weight));
    }
    const feeds = {
      image: { kind: "images" as const },
      ...(noise ? { noise: { kind: "normal" as const } } : {}),
    };
    // This iteration's ids (B, L): the trainer watches them for collapse (core/train/collapse.ts).
    return { terms, total, feeds, outputs: { reconstruction: rec, tokens: s.q.indices } };
  };
}

/** Upstream's stage-2 perceptual term: taming's LPIPS at weight 1.0, on the [0, 1] images unmapped. */
export function alitPerceptual(stage: string): PerceptualSettings | undefined {
  return stage === "stage2" ? { spec: "lpips", weight: 1, lpipsRescale: false } : undefined;
}

/** `gan_losses.{i}.discriminator.`: the prefix of iteration i's discriminator (upstream's keys). */
const prefix = (i: number) => `gan_losses.${i}.discriminator.`;

/** One taming PatchGAN per rollout iteration, upstream's `weights_init`, each seeded apart. */
export const ALIT_DISCRIMINATORS: GanNetwork = {
  name: "taming NLayerDiscriminator (ndf 64, 3 layers, BatchNorm) per rollout iteration",
  perVariant: true,
  prefix,
  logits: (g, image, index, buffers) =>
    g.scope(`gan_losses.${index}`, () => g.scope("discriminator", () => patchGan(g, image, buffers))),
  init(params, buffers, seed) {
    const out = new Map<string, Tensor>();
    const index = Number(/^gan_losses\.(\d+)\./.exec(params[0]?.name ?? "")?.[1] ?? 0);
    for (const [k, t] of patchGanWeights(params, seed * 8 + index)) out.set(k, t);
    for (const v of buffers) {
      const m = /^(.*)\.running_(mean|var)$/.exec(v.name);
      if (!m) continue;
      for (const [k, t] of batchNormBuffers(m[1], v.shape[0] as number)) if (k === v.name) out.set(k, t);
    }
    return out;
  },
};

/**
 * The discriminators' optimiser: torch's AdamW over `gan_losses.parameters()` —
 * β (0.9, 0.95), eps 1e-8, torch's default weight decay 0.01 on every tensor,
 * gradients clipped at 3 (the same `grad_clip`).
 */
export const ALIT_DISCRIMINATOR_ADAMW: AdamWOptions = {
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.01,
  clipNorm: 3,
  decays: () => true,
};

/** Stage 2's GAN (see the module doc); undefined for stage 1. */
export function alitGan(stage: string, epochSteps = ALIT_EPOCH_STEPS): GanSettings | undefined {
  if (stage !== "stage2") return undefined;
  return {
    start: 21 * epochSteps,
    weight: 0.2,
    weights: [{ from: 101 * epochSteps, weight: 0.8 }],
    period: 9,
    epochSteps,
    factor: 1,
    lecamWeight: 0,
    lr: 3.75e-5,
    sameLr: true,
    adamw: ALIT_DISCRIMINATOR_ADAMW,
    network: ALIT_DISCRIMINATORS,
  };
}
