/**
 * The ALIT family plugin (ShivamDuggal4/adaptive-length-tokenizer,
 * https://arxiv.org/abs/2411.02393): a recurrent 1D tokenizer over a frozen 2D
 * base tokenizer (MAGE's VQGAN, or MAR's KL-16 VAE) that adds 32 tokens per
 * iteration, up to 256, and lets each image stop when its reconstruction is
 * good enough. Presets alit/tiny, small, base, semilarge over both bases
 * (upstream's sizes) and alit/small_recipe, a CPU training recipe from scratch;
 * released checkpoints (`{"model", "ema"}` wrappers, EMA by default) load
 * unchanged, with their GAN/LPIPS modules skipped.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer("alit/tiny", { weights: "alit_tiny_vqgan.pth" });
 * const t = await tok.encodeAdaptive(images, { threshold: 0.07 }); // lengths 32…256 per image
 * ```
 * @module
 */
import type { z } from "zod";
import { definePlugin } from "../../core/plugin.ts";
import { presetsIn } from "../../core/presets.ts";
import { alitCheckpoints } from "./checkpoints.ts";
import type { Tensor } from "../../core/tensor.ts";
import { type AlitConfig, alitConfigSchema, alitDims, normaliseAlitRaw } from "./config.ts";
import { alitGraphs } from "./model.ts";
import { alitPrograms } from "./programs.ts";
import { alitAdamW, alitLoss, alitTrainable } from "./train.ts";
import { alitGan, alitPerceptual } from "./train_stage2.ts";

/** Preset name → config, read from configs/alit/. */
const presets = presetsIn(new URL("../../configs/alit/", import.meta.url));

/** Training-only modules of released checkpoints (8 discriminators + LPIPS): not part of inference. */
const TRAINING_ONLY = /^(gan_losses|criterion)\./;

/** Upstream state dict → graph parameters: names are upstream's; training-only modules are dropped. */
export function loadAlit(tensors: Map<string, Tensor>, config: AlitConfig): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const vae = alitDims(config).vae;
  let skipped = 0;
  for (const [k, t] of tensors) {
    // The VAE variant's halting never fires upstream (it assigns into a copy), so its mask token is never read.
    if (vae && k === "encoder_mask_token") continue;
    if (TRAINING_ONLY.test(k)) skipped++;
    else out.set(k, t);
  }
  if (skipped) {
    console.error(`note: skipped ${skipped} training-only tensors (gan_losses.*: discriminators, LPIPS)`);
  }
  return out;
}

export const alit = definePlugin<AlitConfig>({
  name: "alit",
  paper: "https://arxiv.org/abs/2411.02393",
  schema: alitConfigSchema as unknown as z.ZodType<AlitConfig>,
  presets,
  checkpoints: alitCheckpoints,
  testPresets: ["test_vqgan"],
  recognises: (raw) => {
    const r = normaliseAlitRaw(raw) as { alit?: unknown } | undefined;
    return r && typeof r === "object" && r.alit && typeof r.alit === "object" ? 1 : 0;
  },
  info(c, variant) {
    const d = alitDims(c);
    return {
      family: "alit",
      variant,
      input: { kind: "image", height: d.image, width: d.image },
      imageSize: d.image,
      tokenShape: [1, d.iters * d.t],
      tokenDtype: "int64",
      tokensPerItem: d.iters * d.t,
      vocabulary: c.alit.vq_codebook_size,
      inputRange: [0, 1],
      // A file may hold fewer tokens per row (a fixed budget); items past their length hold −1.
      prefixAxis: 1,
      padded: true,
      budgets: Array.from({ length: d.iters }, (_, k) => (k + 1) * d.t),
    };
  },
  graphs: (c) => alitGraphs(c),
  programs: alitPrograms,
  options: [
    {
      name: "halting",
      flag: "--halting <mode>",
      description:
        "dynamic halting of image tokens between iterations: sample (upstream, seeded by --seed), " +
        "threshold (drop wherever p ≥ the config's threshold) or off",
      choices: ["off", "threshold", "sample"],
    },
    {
      name: "perBatch",
      flag: "--per-batch",
      description:
        "--adaptive: upstream's rule, one length for the whole batch (its mean L1 under --threshold)",
    },
  ],
  load: loadAlit,
  stateDictKeys: ["ema", "model"],
  evalProtocol: {
    fid: "pytorch-fid",
    resize: "none",
    source: "ALIT evaluate_rfid.py (python -m pytorch_fid)",
  },
  train: {
    stages: ["stage1", "stage2"],
    defaultStage: (c) => c.default_stage ?? "stage1",
    loss: alitLoss,
    trainable: alitTrainable,
    adamw: (_c, stage) => alitAdamW(stage),
    gan: (_c, stage) => alitGan(stage),
    perceptual: (_c, stage) => alitPerceptual(stage),
    variants: (c, stage) => (stage === "stage2" ? alitDims(c).iters : 1),
  },
});
