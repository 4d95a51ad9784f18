/**
 * ElasticTok's training loss (`scripts/train.py`, `elastic/data.py`
 * `MaskSampler`, `elastic/bottleneck.py`) on images, one block per image (the
 * frame repeated, as upstream's image data), or on clips of `video_frames`
 * frames (a video config): the clip's blocks form one sequence under the
 * block-causal mask with positions 0…L−1, as upstream packs a video's
 * consecutive blocks into its training sequence, each block with its own mask:
 *
 * - a random tail mask per block: n uniform in [min_toks, max_toks − 1]
 *   (the trainer's seeded draw `kept_draw` + min_toks), keeping positions
 *   0…n — the first **n+1**, upstream's `arange ≤ n`;
 * - encoder → FSQ (straight-through round) or VAE sample (the `noise` input) →
 *   codes at dropped positions 0 → decoder → tanh;
 * - loss = MSE(recon, x) in [−1, 1] over all patch values
 *   + 0.1·LPIPS (`perceptual`, on frame 0 in [0, 1]; upstream resizes a random
 *   frame to 224 first) + for the VAE 1e-8·mean over items of
 *   ½Σ(μ² + σ² − 1 − log σ²) over kept positions and channels.
 *   FSQ has no auxiliary term. No GAN.
 *
 * Optimiser (tux adamw as the run script sets it): β (0.9, 0.95), weight
 * decay 1e-4, global-norm clip 1.0; learning rate 1e-4 (the CLI's schedule).
 * @module
 */
import type { Value } from "../../core/graph/graph.ts";
import type { Feed, LossBuilder } from "../../core/autodiff/train_step.ts";
import type { AdamWOptions } from "../../core/autodiff/optimizer.ts";
import {
  add,
  concat,
  f32,
  mul,
  reduceMean,
  reduceSum,
  slice,
  squeeze,
  sub,
  t,
  unsqueeze,
} from "../../core/ops/mod.ts";
import { dropMasked } from "../../core/nn/kept_embed.ts";
import { ropeGather } from "../../core/nn/rope.ts";
import { blockCausalMask } from "../../core/nn/block_mask.ts";
import { unpatchify } from "../../core/nn/patchify.ts";
import { fsqQuantize } from "../../core/quantizers/fsq.ts";
import { gaussianKl, gaussianPosterior, gaussianSample } from "../../core/quantizers/gaussian.ts";
import type { PerceptualSettings, TrainHooks, TrainLossOptions } from "../../core/plugin.ts";
import { type ElasticConfig, elasticDims } from "./config.ts";
import { decoderTrunk, encoderTrunk, keptMask } from "./model.ts";

/** The VAE's KL weight (`1e-8 * sum(kl) / B`). */
export const KL_WEIGHT = 1e-8;

/** Upstream's training loss on a batch of images (see the module doc). */
export function elasticLoss(c: ElasticConfig, o: TrainLossOptions): LossBuilder {
  return (g) => {
    if (o.adversarial) throw new Error("ElasticTok trains without a discriminator");
    const d = elasticDims(c);
    const b = o.batch;
    const nb = d.blocks, frames = nb * d.frames, l = nb * d.tokens;
    let video: Value, input: Value, image: Value | undefined;
    if (c.video_frames) {
      video = input = g.input("video", "float32", [b, frames, 3, d.size, d.size]);
    } else {
      image = input = g.input("image", "float32", [b, 3, d.size, d.size]);
      video = concat(g, new Array(d.frames).fill(unsqueeze(g, image, [1])), 1);
    }
    const draw = g.input("kept_draw", "int64", c.video_frames ? [b, nb] : [b]);
    const count = add(g, draw, g.constant(t("int64", [], [c.min_toks + 1]), "min_kept"));
    const kept = keptMask(g, count, d.tokens, nb);
    const positions = g.constant(t("int64", [l], [...Array(l).keys()]), "positions");
    const rope = ropeGather(g, positions, l, d.headDim, c.theta);
    const mask = nb > 1 ? g.constant(blockCausalMask(l, d.tokens), "block_causal") : undefined;
    const enc = encoderTrunk(g, c, video, kept, rope, undefined, mask);
    const terms: Record<string, Value> = {};
    let codes: Value;
    if (d.fsq) codes = fsqQuantize(g, enc.z, { levels: c.fsq_quant_levels }).quantized;
    else {
      const p = gaussianPosterior(g, enc.z, -1);
      codes = gaussianSample(g, p, g.input("noise", "float32", [b, l, d.code]));
      // ½Σ over channels, then over kept positions; mean over items.
      const perPosition = gaussianKl(g, p, [2]);
      const keptF = dropMasked(g, unsqueeze(g, perPosition, [-1]), kept);
      // Upstream sums per block and averages over blocks (a clip of nb blocks: the sum / nb).
      const perItem = reduceSum(g, keptF, [1, 2], false);
      terms.kl = reduceMean(
        g,
        nb > 1 ? mul(g, perItem, g.constant(f32([], [1 / nb]), "per_block")) : perItem,
        [
          0,
        ],
        false,
      );
    }
    const dec = decoderTrunk(g, c, dropMasked(g, codes, kept), rope, { mask });
    const diff = sub(g, dec.y, enc.patches);
    terms.mse = reduceMean(g, mul(g, diff, diff), [0, 1, 2], false);
    let total = terms.mse;
    const w = (v: number) => g.constant(f32([], [v]), "w");
    if (terms.kl) total = add(g, total, mul(g, terms.kl, w(KL_WEIGHT)));
    const recon = unpatchify(g, dec.pixels, c.patch_size, [frames, d.size, d.size]);
    const reconstruction = squeeze(g, slice(g, recon, 1, 0, 1), [1]);
    if (o.perceptual) {
      const real = image ?? squeeze(g, slice(g, video, 1, 0, 1), [1]);
      terms.perceptual = o.perceptual.build(g, real, reconstruction);
      total = add(g, total, mul(g, terms.perceptual, w(o.perceptual.weight)));
    }
    const feeds: Record<string, Feed> = { [input.name]: { kind: "images" } };
    if (!d.fsq) feeds.noise = { kind: "normal" };
    return { terms, total, draws: { [draw.name]: c.max_toks - c.min_toks }, feeds };
  };
}

/** tux adamw as `run_train.sh` sets it. */
export const ELASTIC_ADAMW: AdamWOptions = {
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 1e-4,
  clipNorm: 1,
};

/** Upstream's perceptual term: 0.1·LPIPS (VGG). */
export const ELASTIC_PERCEPTUAL: PerceptualSettings = { spec: "lpips", weight: 0.1 };

/** The family's training hooks (one stage). */
export const elasticTrain: TrainHooks<ElasticConfig> = {
  stages: ["single"],
  defaultStage: () => "single",
  loss: (c, o) => elasticLoss(c, o),
  trainable: () => () => true,
  adamw: () => ELASTIC_ADAMW,
  perceptual: () => ELASTIC_PERCEPTUAL,
};
