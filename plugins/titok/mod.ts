/**
 * The TiTok family plugin: every released tokenizer variant (S-128, B-64,
 * L-32 two-stage VQ; BL-64/BL-128/SL-256 VQ and LL-32/BL-64/BL-128 VAE
 * single-stage) from upstream config files and checkpoints, unchanged.
 *
 * @example
 * ```ts
 * import { titok } from "./mod.ts";
 * const config = titok.schema.parse(titok.presets["tiny"]);
 * const encoder = titok.graphs(config, {})["encoder"](); // image → tokens, latent
 * ```
 * @module
 */
import { definePlugin } from "../../core/plugin.ts";
import { type TiTokConfig, titokSchema } from "./config.ts";
import { dims, TITOK_GRAPHS, titokGraphs, vocabularySize } from "./model.ts";
import { singlePassPrograms } from "../../core/programs.ts";
import { presetsIn } from "../../core/presets.ts";
import { titokCheckpoints } from "./checkpoints.ts";
import { isTitokLayout } from "../../core/nn/titok_vit_schema.ts";
import {
  titokAdamW,
  titokGan,
  titokLoss,
  titokPerceptual,
  type TitokStage,
  titokTeacher,
  titokTrainable,
  titokVqRestart,
} from "./train.ts";

/** Preset name → upstream-layout config object, read from configs/titok/. */
const presets = presetsIn(new URL("../../configs/titok/", import.meta.url));

export const titok = definePlugin<TiTokConfig>({
  name: "titok",
  paper: "https://arxiv.org/abs/2406.07550",
  schema: titokSchema,
  presets,
  checkpoints: titokCheckpoints,
  // Any config in TiTok's layout; forks with their own quantizer (MARVEL's lfq) score higher in their plugin.
  recognises: (raw) => (isTitokLayout(raw) ? 1 : 0),
  info(config, variant) {
    const d = dims(config);
    return {
      family: "titok",
      variant,
      input: { kind: "image", height: d.image, width: d.image },
      imageSize: d.image,
      tokenShape: d.vae ? [d.c, 1, d.k] : [1, d.k],
      tokenDtype: d.vae ? "float32" : "int64",
      tokensPerItem: d.k,
      vocabulary: d.vae ? undefined : vocabularySize(config),
      inputRange: [0, 1],
      latentShape: [d.c, 1, d.k],
      budgets: [d.k],
    };
  },
  graphs: titokGraphs,
  programs: singlePassPrograms(TITOK_GRAPHS),
  evalProtocol: {
    fid: "torch-fidelity",
    resize: "shorter",
    source: "TiTok VQGANEvaluator (bytedance/1d-tokenizer)",
  },
  // Graph parameters are upstream's state-dict keys: loading is a lookup.
  load: (tensors) => tensors,
  helpers: { teacher: titokTeacher },
  train: {
    stages: ["single", "stage1", "stage2"],
    // Two-stage models train in two stages (stage1 first); direct-pixel models train in one.
    defaultStage: (
      c,
    ) => (c.model.vq_model.is_legacy ? (c.model.vq_model.finetune_decoder ? "stage2" : "stage1") : "single"),
    loss: (c, o) => titokLoss(c, { ...o, stage: o.stage as TitokStage }),
    trainable: (c, o) => titokTrainable(c, { stage: o.stage as TitokStage, batch: o.batch }),
    adamw: (_c, stage) => titokAdamW(stage as TitokStage),
    gan: (_c, stage) => titokGan(stage as TitokStage),
    perceptual: (_c, stage) => titokPerceptual(stage as TitokStage),
    vqRestart: (c, stage) => titokVqRestart(c, stage as TitokStage),
  },
});
