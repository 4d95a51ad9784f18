/**
 * The ElasticTok family plugin (LargeWorldModel/ElasticTok): adaptive token
 * counts for images and video. Every patch of a block of 4 frames is a token
 * position; an encode keeps the first n positions of each block, and the
 * adaptive encode searches the smallest n whose reconstruction is under an
 * MSE threshold, block after block with KV caches. Presets `elastictok/fsq`
 * and `elastictok/vae` are the released 200m models (their `params` files load
 * with `--weights`); `tiny*` are test sizes. README.md has the details.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer("elastictok/fsq", { weights: "ElasticTok-FSQ/params" });
 * const t = await tok.encodeAdaptive(images, { threshold: 0.003 }); // t.blockCounts: kept tokens per block
 * const recon = await tok.decode(t);
 * ```
 * @module
 */
import { definePlugin } from "../../core/plugin.ts";
import { presetsIn } from "../../core/presets.ts";
import { elastictokCheckpoints } from "./checkpoints.ts";
import type { Tensor } from "../../core/tensor.ts";
import { type ElasticConfig, elasticDims, elasticSchema } from "./config.ts";
import { elasticGraphs } from "./model.ts";
import { elasticPrograms } from "./programs.ts";
import { SEARCHES } from "./search.ts";
import { elasticTrain } from "./train.ts";

const presets = presetsIn(new URL("../../configs/elastictok/", import.meta.url));

/** Token budgets per block: powers of two from min_toks up, and max_toks. */
function blockBudgets(c: ElasticConfig): number[] {
  const out: number[] = [];
  for (let n = c.min_toks; n < c.max_toks; n *= 2) out.push(n);
  return [...out, c.max_toks];
}

/** Upstream checkpoint trees may sit under `params` (train states): that prefix is dropped. */
function stripParams(tensors: Map<string, Tensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, v] of tensors) out.set(k.replace(/^(params\.)+/, ""), v);
  return out;
}

export const elastictok = definePlugin<ElasticConfig>({
  name: "elastictok",
  paper: "https://arxiv.org/abs/2410.08368",
  schema: elasticSchema,
  presets,
  checkpoints: elastictokCheckpoints,
  recognises: (raw) => {
    const r = raw as Record<string, unknown> | null;
    return r && typeof r === "object" && "bottleneck_type" in r && "max_toks" in r ? 2 : 0;
  },
  info(c, variant) {
    const d = elasticDims(c);
    const n = d.blocks * d.tokens;
    return {
      family: "elastictok",
      variant,
      input: c.video_frames
        ? { kind: "video", frames: c.video_frames, height: d.size, width: d.size }
        : { kind: "image", height: d.size, width: d.size },
      imageSize: d.size,
      tokenShape: d.fsq ? [1, n] : [1, n, d.code],
      tokenDtype: d.fsq ? "int64" : "float32",
      tokensPerItem: n,
      vocabulary: d.fsq ? c.fsq_quant_levels.reduce((a, b) => a * b, 1) : undefined,
      inputRange: [-1, 1],
      padded: d.fsq,
      budgets: blockBudgets(c).map((k) => k * d.blocks),
    };
  },
  graphs: elasticGraphs,
  programs: elasticPrograms(),
  // elastic/data.py: `_image_resize_shortest` (Pillow bilinear) + `_image_center_crop` (floor offsets).
  inputTransform: { filter: "bilinear", rounding: "floor" },
  options: [
    {
      name: "search",
      flag: "--search <alg>",
      description:
        "adaptive encode: per-block search, binary (bisection) or linear (upstream's log-spaced scan)",
      choices: SEARCHES,
      default: "binary",
    },
    {
      name: "upstreamSearch",
      flag: "--upstream-search",
      description:
        "adaptive encode: upstream's binary search as released (last probe, masks of n+1 positions)",
    },
    {
      name: "maxBlocksPerChunk",
      flag: "--max-blocks-per-chunk <n>",
      description: "blocks per cached pass; longer videos restart the cache (default 4)",
    },
    {
      name: "tokensPerBlock",
      flag: "--tokens-per-block <n>",
      description: "encode: keep n tokens in every block (any n ≤ max_toks; --budget takes info.budgets)",
    },
  ],
  load: (tensors) => stripParams(tensors),
  train: elasticTrain,
});
