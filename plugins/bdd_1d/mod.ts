/**
 * The BDD-1D family plugin (sejal-0502/1d-tokenizer): a TiTok-style 1D
 * tokenizer trained on BDD100K driving frames — timm ViT-B/16 with K prompt
 * tokens (K ∈ {16, 32, 64, 128, 256}: presets k16 … k256), Linear 768→16,
 * cosine VQ over 4096 × 16 codes, and a taming conv decoder over the token
 * sequence with attention at 16². Upstream's OmegaConf `config.yaml` and
 * Lightning `.ckpt` load unchanged; inputs are seen in [−1,1] as upstream.
 * BDD-1D has no released weights: bring a checkpoint trained with its code.
 *
 * @example
 * ```ts
 * import { bdd1d } from "./mod.ts";
 * const config = bdd1d.schema.parse(bdd1d.presets["tiny"]);
 * const encoder = bdd1d.graphs(config, {})["encoder"](); // image → tokens (B,1,K), latent (B,16,1,K)
 * ```
 * @module
 */
import { definePlugin } from "../../core/plugin.ts";
import { singlePassPrograms } from "../../core/programs.ts";
import { presetsIn } from "../../core/presets.ts";
import type { Tensor } from "../../core/tensor.ts";
import { BDD_TARGET, type BddConfig, bddSchema, isBddLayout } from "./config.ts";
import { DINO_HELPER } from "./dino.ts";
import { BDD_INIT } from "./foundation.ts";
import { BDD_GRAPHS, bddGraphs, dims, normaliseCodebook } from "./model.ts";
import { BDD_STAGES, bddAdam, bddLoss, bddPerceptual, bddTrainable } from "./train.ts";
import { bddGan, bddRecipe } from "./train_gan.ts";

/** Preset name → upstream-layout config object, read from configs/bdd_1d/. */
const presets = presetsIn(new URL("../../configs/bdd_1d/", import.meta.url));

/**
 * Checkpoint keys that only training uses, by the rule that recognises them:
 * the loss (LPIPS, discriminator), `post_quant_conv` (optimised but never
 * applied in `decode`), the top-level `latent_tokens` that neither encoder reads, the timm
 * classifier `encoder.head`, and anything with "dino" (as upstream's tools drop).
 */
export const TRAINING_ONLY: readonly [string, (k: string) => boolean][] = [
  ["loss.*", (k) => k.startsWith("loss.")],
  ["post_quant_conv.*", (k) => k.startsWith("post_quant_conv.")],
  ["latent_tokens", (k) => k === "latent_tokens"],
  ["encoder.head.*", (k) => k.startsWith("encoder.head.")],
  ["*dino*", (k) => k.includes("dino")],
];

/**
 * Upstream state dict → graph parameters: training-only keys are dropped (a
 * note on stderr counts them) and, with `normalize_embedding`, the codebook
 * rows are L2-normalised once.
 */
export function loadBdd(
  tensors: Map<string, Tensor>,
  config: BddConfig,
  note: (msg: string) => void = (m) => console.error(m),
): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const skipped = new Map<string, number>();
  const rules: [string, (k: string) => boolean][] = dims(config).scratch
    ? [...TRAINING_ONLY, ["ln.* (the pretrained path's projection)", (k) => k.startsWith("ln.")]]
    : [...TRAINING_ONLY];
  for (const [k, t] of tensors) {
    const rule = rules.find(([, match]) => match(k));
    if (rule) skipped.set(rule[0], (skipped.get(rule[0]) ?? 0) + 1);
    else out.set(k, t);
  }
  if (skipped.size) {
    note(
      `note: bdd_1d: skipped training-only checkpoint keys: ${
        [...skipped].map(([r, n]) => `${r} (${n})`).join(", ")
      }`,
    );
  }
  const book = out.get("quantize.embedding.weight");
  if (book && dims(config).codebookNormalise) out.set("quantize.embedding.weight", normaliseCodebook(book));
  return out;
}

export const bdd1d = definePlugin<BddConfig>({
  name: "bdd_1d",
  paper: "https://github.com/sejal-0502/1d-tokenizer",
  schema: bddSchema,
  presets,
  checkpoints: {
    note:
      "sejal-0502/1d-tokenizer publishes no weights: bring a Lightning .ckpt trained with its code (--weights)",
    presets: {},
  },
  recognises: (raw) =>
    isBddLayout(raw) ? ((raw as { model: { target?: unknown } }).model.target === BDD_TARGET ? 2 : 1) : 0,
  info(config, variant) {
    const d = dims(config);
    return {
      family: "bdd_1d",
      variant,
      input: { kind: "image", height: d.image, width: d.image },
      imageSize: d.image,
      tokenShape: [1, d.k],
      tokenDtype: "int64",
      tokensPerItem: d.k,
      vocabulary: d.codebook,
      inputRange: [-1, 1],
      latentShape: [d.c, 1, d.k],
      budgets: [d.k],
    };
  },
  graphs: (c) => bddGraphs(c),
  programs: singlePassPrograms(BDD_GRAPHS),
  evalProtocol: {
    fid: "pytorch-fid",
    resize: "none",
    source:
      "BDD-1D tools/compute_codebook_usage.py (sejal-0502/1d-tokenizer): centre crop of the full frame, " +
      "pytorch-fid on saved PNGs, codebook usage = 100·(codes hit)/n_e",
  },
  load: (tensors, config) => loadBdd(tensors, config),
  options: [
    {
      name: "upstreamBugs",
      flag: "--upstream-bugs",
      description:
        "train as upstream did: the 768→16 projection `ln` stays frozen (left out of its optimiser)",
      command: "train",
    },
  ],
  helpers: { dino: DINO_HELPER },
  init: BDD_INIT,
  train: {
    stages: BDD_STAGES,
    defaultStage: () => "ae",
    loss: bddLoss,
    trainable: bddTrainable,
    adamw: (c) => bddAdam(c),
    gan: (c) => bddGan(c),
    recipe: (c, _stage, o) => bddRecipe(c, o),
    perceptual: (c) => bddPerceptual(c),
  },
});
