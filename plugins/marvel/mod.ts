/**
 * The MARVEL family plugin (PadrickLeee/MDQ): TiTok-L-32 with multi-depth
 * lookup-free quantisation at D ∈ {1, 2, 4} (presets l32x1, l32x2, l32x4),
 * from MDQ's config files and checkpoint layout. Tokens are int64 (B,1,K,D);
 * `decode` also takes any prefix of the depths (coarse-to-fine precision).
 * MARVEL has no released weights: bring a checkpoint trained with MDQ's code.
 *
 * @example
 * ```ts
 * import { marvel } from "./mod.ts";
 * const config = marvel.schema.parse(marvel.presets["tiny"]);
 * const graphs = marvel.build(config);
 * ```
 * @module
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readConfigFile } from "../../core/config.ts";
import { UsageError } from "../../core/errors.ts";
import { definePlugin } from "../../core/plugin.ts";
import { lfqCodebook } from "../../core/quantizers/mod.ts";
import type { Tensor } from "../../core/tensor.ts";
import { type MarvelConfig, marvelSchema } from "./config.ts";
import { buildMarvel, dims } from "./model.ts";
import {
  marvelAdamW,
  marvelGan,
  marvelLoss,
  marvelPerceptual,
  type MarvelStage,
  marvelTeacher,
  marvelTrainable,
} from "./train.ts";

const presetDir = fileURLToPath(new URL("../../configs/marvel/", import.meta.url));

/** Preset name → upstream-layout config object, read from configs/marvel/. */
const presets: Record<string, unknown> = Object.fromEntries(
  readdirSync(presetDir).filter((f) => f.endsWith(".yaml")).sort().map((f) => [
    f.replace(/\.yaml$/, ""),
    readConfigFile(presetDir + f),
  ]),
);

/** Checkpoint buffers of MDQ's LookupFreeQuantizer: checked (they fix the bit order), then dropped. */
const BUFFERS = ["quantize.bits_to_indices", "quantize.codebook"];

function sameValues(t: Tensor, want: ArrayLike<number>): boolean {
  return t.data.length === want.length && Array.from(t.data as ArrayLike<number | bigint>, Number)
    .every((v, i) => v === want[i]);
}

/** MDQ state dict → graph parameters: the implicit-codebook buffers are verified and removed. */
export function loadMarvel(tensors: Map<string, Tensor>, config: MarvelConfig): Map<string, Tensor> {
  const bits = config.model.vq_model.token_size;
  const powers = Array.from({ length: bits }, (_, i) => 2 ** i);
  const checks: Record<string, ArrayLike<number>> = {
    "quantize.bits_to_indices": powers,
    "quantize.codebook": lfqCodebook(bits),
  };
  const out = new Map(tensors);
  for (const key of BUFFERS) {
    const t = out.get(key);
    if (!t) continue;
    if (!sameValues(t, checks[key])) {
      throw new UsageError(
        `checkpoint key ${key} [${t.shape}] is not MDQ's ${bits}-bit LSB-first ${
          key.endsWith("codebook") ? "±1 codebook" : "bit weights [1, 2, 4, …]"
        }: token_size or the bit order differs from this config`,
      );
    }
    out.delete(key);
  }
  return out;
}

export const marvel = definePlugin<MarvelConfig>({
  name: "marvel",
  paper: "https://github.com/PadrickLeee/MDQ",
  schema: marvelSchema,
  presets,
  recognises: (raw) => {
    const m = (raw as { model?: { vq_model?: Record<string, unknown> } })?.model?.vq_model;
    return !!m && m.quantize_mode === "lfq" && "vit_enc_model_size" in m && "num_latent_tokens" in m;
  },
  info(config, variant) {
    const d = dims(config);
    return {
      family: "marvel",
      variant,
      imageSize: d.image,
      tokenShape: [1, d.k, d.depth],
      tokenDtype: "int64",
      vocabulary: 2 ** d.c,
      inputRange: [0, 1],
      latentShape: [d.c, 1, d.k],
      depthPrefix: true,
    };
  },
  build: buildMarvel,
  load: loadMarvel,
  helpers: { teacher: marvelTeacher },
  train: {
    stages: ["stage1", "stage2"],
    // As MDQ's configs: stage 1 runs with finetune_decoder false, stage 2 (and inference) with true.
    defaultStage: (c) => (c.model.vq_model.finetune_decoder ? "stage2" : "stage1"),
    loss: (c, o) => marvelLoss(c, { ...o, stage: o.stage as MarvelStage }),
    trainable: (c, o) => marvelTrainable(c, { stage: o.stage as MarvelStage, batch: o.batch }),
    adamw: (_c, stage) => marvelAdamW(stage as MarvelStage),
    gan: (_c, stage) => marvelGan(stage as MarvelStage),
    perceptual: (_c, stage) => marvelPerceptual(stage as MarvelStage),
  },
});
