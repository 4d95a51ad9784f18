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
 * const encoder = marvel.graphs(config, {})["encoder"](); // image → tokens (B,1,K,D)
 * ```
 * @module
 */
import { UsageError } from "../../core/errors.ts";
import { definePlugin } from "../../core/plugin.ts";
import { lfqCodebook } from "../../core/quantizers/mod.ts";
import type { Tensor } from "../../core/tensor.ts";
import { type MarvelConfig, marvelSchema } from "./config.ts";
import { dims, MARVEL_GRAPHS, marvelGraphs } from "./model.ts";
import { singlePassPrograms } from "../../core/programs.ts";
import { presetsIn } from "../../core/presets.ts";
import { isTitokLayout } from "../../core/nn/titok_vit_schema.ts";
import type { Tokens } from "../../core/tokens.ts";
import {
  marvelAdamW,
  marvelGan,
  marvelLoss,
  marvelPerceptual,
  type MarvelStage,
  marvelTeacher,
  marvelTrainable,
} from "./train.ts";

/** Preset name → upstream-layout config object, read from configs/marvel/. */
const presets = presetsIn(new URL("../../configs/marvel/", import.meta.url));

/** The first `d` depths of tokens (B,1,K,D'), d ≤ D'. */
function firstDepths(t: Tokens, d: number): Tokens {
  const x = t.tokens;
  const depth = x.shape.at(-1)!;
  if (d === depth) return { ...t, depth: d };
  const src = x.data as BigInt64Array, rows = src.length / depth;
  const out = new BigInt64Array(rows * d);
  for (let r = 0; r < rows; r++) out.set(src.subarray(r * depth, r * depth + d), r * d);
  return { ...t, tokens: { dtype: "int64", shape: [...x.shape.slice(0, -1), d], data: out }, depth: d };
}

/** Tokens with d ≤ D depths → (B,1,K,D) with −1 for the depths not sent (what decode_tokens reads). */
function padDepths(t: Tokens, full: number) {
  const x = t.tokens;
  const d = x.shape.at(-1)!;
  if (d === full) return x;
  const src = x.data as BigInt64Array;
  const rows = src.length / d;
  const data = new BigInt64Array(rows * full).fill(-1n);
  for (let r = 0; r < rows; r++) data.set(src.subarray(r * d, r * d + d), r * full);
  return { dtype: "int64" as const, shape: [...x.shape.slice(0, -1), full], data };
}

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
  checkpoints: {
    note: "MDQ (PadrickLeee/MDQ) publishes no weights: bring a checkpoint trained with its code (--weights)",
    presets: {},
  },
  // TiTok's layout with MDQ's lookup-free quantizer: more specific than TiTok's plugin.
  recognises: (raw) =>
    isTitokLayout(raw) && (raw as { model: { vq_model: { quantize_mode?: unknown } } }).model.vq_model
          .quantize_mode === "lfq"
      ? 2
      : 0,
  info(config, variant) {
    const d = dims(config);
    return {
      family: "marvel",
      variant,
      input: { kind: "image", height: d.image, width: d.image },
      imageSize: d.image,
      tokenShape: [1, d.k, d.depth],
      tokenDtype: "int64",
      tokensPerItem: d.k * d.depth,
      vocabulary: 2 ** d.c,
      inputRange: [0, 1],
      latentShape: [d.c, 1, d.k],
      prefixAxis: 2,
      padded: true,
      // One point per depth prefix: coarse to fine.
      budgets: Array.from({ length: d.depth }, (_, i) => d.k * (i + 1)),
    };
  },
  graphs: marvelGraphs,
  programs: singlePassPrograms({
    ...MARVEL_GRAPHS,
    tokenFeed: (t, info) => padDepths(t, info.tokenShape[2]),
  }),
  truncate: (t, budget, info) => firstDepths(t, budget / info.tokenShape[1]),
  evalProtocol: { fid: "torch-fidelity", resize: "shorter", source: "MARVEL evaluator (TiTok's)" },
  load: loadMarvel,
  helpers: { teacher: marvelTeacher },
  train: {
    stages: ["stage1", "stage2", "single"],
    // As MDQ's configs: stage 1 runs with finetune_decoder false, stage 2 (and inference) with true;
    // a direct-pixel config (is_legacy false) trains in tok1d's single stage.
    defaultStage: (c) =>
      !c.model.vq_model.is_legacy ? "single" : c.model.vq_model.finetune_decoder ? "stage2" : "stage1",
    loss: (c, o) => marvelLoss(c, { ...o, stage: o.stage as MarvelStage }),
    trainable: (c, o) => marvelTrainable(c, { stage: o.stage as MarvelStage, batch: o.batch }),
    adamw: (_c, stage) => marvelAdamW(stage as MarvelStage),
    gan: (_c, stage) => marvelGan(stage as MarvelStage),
    perceptual: (_c, stage) => marvelPerceptual(stage as MarvelStage),
  },
});
