/**
 * The plugin contract every tokenizer family implements, and
 * {@link definePlugin}, which only fixes the types. A family is one folder
 * under plugins/, one line in plugins/mod.ts and configs/<family>/tiny.yaml.
 *
 * @module
 */
import type { z } from "zod";
import type { Graph, Value } from "./graph/graph.ts";
import type { DType, Tensor } from "./tensor.ts";
import type { Tokens } from "./tokens.ts";
import type { LossBuilder } from "./autodiff/train_step.ts";
import type { DeadCodeOptions } from "./quantizers/dead_code.ts";
import type { AdamWOptions } from "./autodiff/optimizer.ts";
import type { GanSettings } from "./losses/gan.ts";
import type { TransformOptions } from "./data/transform.ts";

/** A family's resize + crop of inputs (see {@link Plugin.inputTransform}). */
export type InputTransform = Pick<TransformOptions, "filter" | "rounding">;

/** What a family's inputs are: images of H×W, or videos of F frames of H×W. RGB, channels first. */
export type InputSpec =
  | { kind: "image"; height: number; width: number }
  | { kind: "video"; frames: number; height: number; width: number };

/** What a caller needs to know about a tokenizer's inputs and tokens. */
export interface TokenizerInfo {
  family: string;
  variant: string;
  /** The input each item is: an image (B,3,H,W) or a video (B,F,3,H,W), values in [0, 1]. */
  input: InputSpec;
  /** Square images: their side (= `input.height`). */
  imageSize: number;
  /** Token shape per item at the full budget (TiTok VQ: [1, K]; VAE: [C, 1, K]; MARVEL: [1, K, D]). */
  tokenShape: number[];
  tokenDtype: DType;
  /** Tokens per item at the full budget (what the quality-against-tokens curve counts). */
  tokensPerItem: number;
  /** Codebook size for discrete tokens. */
  vocabulary?: number;
  /** The pixel range the family's networks see. */
  inputRange: [number, number];
  /** Continuous latent shape per item (what a `decodeLatent` program takes), where there is one. */
  latentShape?: number[];
  /**
   * An axis of `tokenShape` along which a token file may hold only a prefix
   * (MARVEL: the depth axis, coarse to fine); `decode` then sees `Tokens.depth`.
   */
  prefixAxis?: number;
  /** Discrete ids may be −1 (not sent: past an item's length, an absent depth). */
  padded?: boolean;
  /** Token budgets, ascending, the last the full one: the points of the quality-against-tokens curve. */
  budgets: number[];
}

/** Options that change what the graphs emit. */
export interface BuildOptions {
  /** Sample a VAE posterior (adds a `noise` input to the encoder) instead of using its mean. */
  sample?: boolean;
}

/** Options of an encode program. */
export interface EncodeOptions {
  /** Encode at this token budget (one of `info.budgets`) instead of the full one. */
  budget?: number;
  /** Adaptive encode: the family's quality threshold (ALIT: L1; ElasticTok: MSE). */
  threshold?: number;
  /** Family options by name (declared in {@link Plugin.options}). */
  params?: Record<string, unknown>;
  /**
   * Draws the caller fixes instead of the tokenizer's generator, by graph input
   * name, batch first (VAE `noise`, halting draws): runs then reproduce exactly.
   */
  inputs?: Record<string, Tensor>;
}

/** What a program sees of the tokenizer: named graphs run with cached sessions, and a seeded generator. */
export interface ProgramContext {
  readonly info: TokenizerInfo;
  /** The family's parsed config (what its schema returned). */
  readonly config: unknown;
  /** Runs graph `name` (built and opened on first use; later runs reuse the session). */
  run(name: string, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  /** The inputs graph `name` declares (built on first use; no session). */
  inputs(name: string): readonly Value[];
  /** Standard normal noise of `shape` from the tokenizer's seeded generator (VAE sampling, halting draws). */
  normal(shape: number[]): Tensor<"float32">;
  /** Uniform [0, 1) draws of `shape` from the same generator. */
  uniform(shape: number[]): Tensor<"float32">;
}

/** A host program: which graphs it runs (for the export manifest) and how. */
export interface Program<A extends unknown[], R> {
  /** The graphs the program runs, in order of first use (a function of the config where that varies). */
  graphs: readonly string[] | ((config: unknown) => readonly string[]);
  /** How it chains them, in a sentence or two (written to the export manifest). */
  description: string;
  run(ctx: ProgramContext, ...args: A): Promise<R>;
}

/**
 * The host programs a generic driver runs on a batch (at most `batchSize`
 * items at a time). `encode` and `decode` are required; a family adds
 * `reconstruct` when encode→decode can skip work (TiTok decodes the latent
 * directly), `encodeAdaptive` when it chooses lengths by quality, and
 * `decodeLatent` when its decoder reads a continuous latent.
 */
export interface Programs {
  encode: Program<[images: Tensor, options: EncodeOptions], Tokens>;
  decode: Program<[tokens: Tokens], Tensor>;
  reconstruct?: Program<[images: Tensor, options: EncodeOptions], { tokens: Tokens; images: Tensor }>;
  encodeAdaptive?: Program<[images: Tensor, options: EncodeOptions], Tokens>;
  decodeLatent?: Program<[latent: Tensor], Tensor>;
}

/** A family option a command line exposes (e.g. ALIT's `--halting`). */
export interface FamilyOption {
  /** The key in {@link EncodeOptions.params} (camelCase of the flag). */
  name: string;
  flag: string;
  description: string;
  choices?: readonly string[];
  default?: string;
  /** The command it belongs to: encoding (encode, reconstruct, eval; the default) or `tok1d train`. */
  command?: "encode" | "train";
}

/** How the family's upstream evaluation prepares images and computes FID. */
export interface EvalProtocol {
  fid: "torch-fidelity" | "pytorch-fid";
  /** "shorter": shorter side → size (bicubic) then centre crop; "none": centre crop of the full image. */
  resize: "shorter" | "none";
  /** Where upstream's protocol is defined (shown in reports). */
  source: string;
}

/**
 * A loss term the trainer adds to a family's reconstruction loss, built
 * from the real and reconstructed images (NCHW, [0, 1]): the adversarial
 * term of a GAN stage, a perceptual loss. The family adds `weight`·term to
 * its total and logs the term under its own name.
 */
export interface ImageLossTerm {
  weight: number;
  /**
   * The weight as a graph value where it is fed each step (a scheduled adversarial weight: the
   * input `gan_weight`); a family multiplies by this instead of `weight` when present.
   */
  scale?(g: Graph): Value;
  build(g: Graph, real: Value, fake: Value): Value;
}

/**
 * A stage's perceptual loss: upstream's model string (core/losses/perceptual.ts:
 * "lpips", "convnext_s", "lpips-convnext_s-1.0-0.1") and its weight in the total.
 */
export interface PerceptualSettings {
  spec: string;
  weight: number;
  /**
   * LPIPS input range: true (default) maps the [0, 1] images to [-1, 1] first, as TiTok's LPIPS
   * does; false hands them over as they are (ALIT's stage 2 calls taming's LPIPS on [0, 1] images).
   */
  lpipsRescale?: boolean;
}

/** What a stage's loss graph is built for. */
export interface TrainLossOptions {
  stage: string;
  batch: number;
  /** The generator's adversarial term (logged as `gan`); the graph then also outputs `reconstruction`. */
  adversarial?: ImageLossTerm;
  /** A perceptual term (logged as `perceptual`). */
  perceptual?: ImageLossTerm;
  /** Restart dead VQ codes (core/quantizers/dead_code.ts); only where {@link TrainHooks.vqRestart} allows. */
  vqRestart?: DeadCodeOptions;
  /** Which of the stage's step variants ({@link TrainHooks.variants}) the graph is (default 0). */
  variant?: number;
  /** The family's training options by name ({@link FamilyOption} with `command: "train"`). */
  params?: Record<string, unknown>;
}

/**
 * How a family trains: its stages, loss graphs and which parameters each stage
 * optimises. Core (core/train/train.ts) holds no family's defaults: the
 * optimiser recipe, GAN and perceptual settings all come from here.
 */
export interface TrainHooks<C> {
  stages: readonly string[];
  defaultStage(config: C): string;
  /**
   * The loss graph. Every batch input it declares is named in its `feeds`
   * (LossParts.feeds: the image batch, standard-normal noise, or the family's
   * own generator), so the trainer fills each without knowing the family.
   * A config that cannot train `o.stage` throws a UsageError naming the key.
   */
  loss(config: C, o: TrainLossOptions): LossBuilder;
  /** Parameters the stage optimises (helper networks and perceptual networks are frozen regardless). */
  trainable(
    config: C,
    o: { stage: string; batch: number; params?: Record<string, unknown> },
  ): (name: string) => boolean;
  /** The stage's AdamW settings (generator and discriminator): upstream's recipe for this family. */
  adamw(config: C, stage: string): AdamWOptions;
  /**
   * Upstream's optimisation recipe where it differs from the trainer's defaults (warm-up then
   * cosine, lr 1e-4, no accumulation): micro-batches per step, peak rate (which may scale with the
   * batch and the accumulation, as Lightning scripts do), warm-up and schedule. Flags and
   * {@link TrainRecipe} keys the caller gives win; `accumulate` is the caller's, if given.
   */
  recipe?(config: C, stage: string, o: { batch: number; accumulate?: number }): TrainRecipe;
  /** Upstream's GAN settings of a stage; undefined for stages trained without a discriminator. */
  gan?(config: C, stage: string): GanSettings | undefined;
  /** Whether a stage trains a VQ codebook whose dead codes can be restarted (`vqRestart`). */
  vqRestart?(config: C, stage: string): boolean;
  /** Upstream's perceptual loss of a stage; undefined for stages without one. */
  perceptual?(config: C, stage: string): PerceptualSettings | undefined;
  /**
   * How many graphs a stage's steps alternate between (default 1): ALIT's stage 2 trains one rollout
   * iteration per step, each its own graph. The trainer runs variant k on the k-th generator update
   * (cycling, see core/train/gan_plan.ts). Variants declare the same batch inputs as variant 0 (the
   * trainer fills those), and each must output `reconstruction` when the stage's GAN has a
   * discriminator-only cadence.
   */
  variants?(config: C, stage: string): number;
}

/** A family's training recipe ({@link TrainHooks.recipe}); absent keys take the trainer's defaults. */
export interface TrainRecipe {
  /** Micro-batches per optimiser step (gradient accumulation). */
  accumulate?: number;
  /** Peak learning rate. */
  lr?: number;
  /** Warm-up steps (optimiser steps). */
  warmup?: number;
  /** `cosine`: warm-up then cosine to the end rate; `constant`: warm-up then constant. */
  schedule?: "cosine" | "constant";
  /** Where the numbers come from (shown in notes), e.g. "base_learning_rate 8e-7 × batch 4 × accumulate 16". */
  why?: string;
}

/**
 * A pretrained network a family needs beside its own weights (a teacher, a
 * base tokenizer, a foundation encoder): frozen in every graph that uses it,
 * loaded from a file the user brings, never exported with the model.
 */
export interface HelperNetwork<C> {
  /** Graph-parameter prefix its weights occupy (e.g. `teacher.`). */
  prefix: string;
  /** The stages whose graphs use it. */
  stages: readonly string[];
  /** What the network is, for messages ("MaskGIT-VQGAN weights"). */
  what: string;
  /** The file upstream publishes ("maskgit-vqgan-imagenet-f16-256.bin"). */
  file: string;
  /** Where it is published ("the HF repo fun-research/TiTok"). */
  published: string;
  /** A flag of its own besides `--helper <name>=<file>` (e.g. `--teacher`). */
  flag?: string;
  /** Upstream file's tensors → tensors named as graph parameters; default: `prefix` + key. */
  load?(tensors: Map<string, Tensor>, config: C): Map<string, Tensor>;
}

/** One place upstream publishes a preset's weights (`tok1d list`; tok1d never downloads). */
export interface CheckpointSource {
  /** A Hugging Face repo id (`yucornetto/tokenizer_titok_l32_imagenet`) or a download URL. */
  where: string;
  /** The files to fetch from it. */
  files: readonly string[];
  /** How tok1d takes them, e.g. `--model <folder>` or `--model titok/l32 --weights tokenizer_titok_l32.bin`. */
  use: string;
  /** What differs between sources of one preset ("ImageNet-1k", "ImageNet100"). */
  label?: string;
}

/** Where upstream publishes a family's weights: per preset, and words for the family as a whole. */
export interface UpstreamCheckpoints {
  /** Family-wide note ("MDQ publishes no weights: bring a checkpoint trained with its code"). */
  note?: string;
  /** Preset name → its sources (presets not named here have none). */
  presets: Readonly<Record<string, readonly CheckpointSource[]>>;
}

/** What an {@link InitMapper} made of a checkpoint. */
export interface InitMapping {
  /** The layout the file was read as (e.g. `dino`, `clip`). */
  layout: string;
  /** Tensors named as graph parameters. */
  tensors: Map<string, Tensor>;
  /** File keys with no slot in the model (dropped). */
  unused: string[];
  /** Parameters the file lacks that the mapper filled with the family's init (e.g. a zero bias). */
  filled: string[];
}

/**
 * Initialisation from another network's checkpoint (`tok1d train --init`): a
 * foundation encoder's weights mapped onto the family's parameters. The rest of
 * the model keeps its random init.
 */
export interface InitMapper<C> {
  /** What files it takes, for messages ("a ViT checkpoint: MAE, DINO, CLIP, …"). */
  what: string;
  /** `--pos-embed` choices, the first the default; absent when the family offers none. */
  posEmbed?: readonly string[];
  /** Maps a checkpoint's tensors; a tensor that cannot map is a UsageError naming its key. */
  map(tensors: Map<string, Tensor>, config: C, o: { posEmbed?: string }): InitMapping;
}

/** A tokenizer family. */
export interface Plugin<C = unknown> {
  name: string;
  /** Paper link. */
  paper: string;
  /** zod schema of the family's config, with defaults; upstream config files parse through it unchanged. */
  schema: z.ZodType<C>;
  /** Named presets: name → config object (upstream layout). */
  presets: Record<string, unknown>;
  /**
   * Presets small enough for the registry-wide suites (random weights, a few
   * images): by default those named `tiny*`. A family whose `tiny` is an
   * upstream size (ALIT's alit_tiny) names its own.
   */
  testPresets?: readonly string[];
  /** Where upstream publishes the presets' weights (shown by `tok1d list`, named in messages). */
  checkpoints?: UpstreamCheckpoints;
  /**
   * How specifically a raw (parsed YAML/JSON) config belongs to this family:
   * 0 = not at all; the most specific family wins (MARVEL's LFQ TiTok fork
   * scores above TiTok for the same layout).
   */
  recognises(raw: unknown): number;
  info(config: C, variant: string): TokenizerInfo;
  /** The family's graphs by name, each built only when a program or export asks for it. */
  graphs(config: C, opts: BuildOptions): Record<string, () => Graph>;
  /** Host code that runs the graphs. */
  programs: Programs;
  /** Keeps `budget` tokens per item (prefix families: MARVEL keeps the first depths); else encode at the budget. */
  truncate?(tokens: Tokens, budget: number, info: TokenizerInfo): Tokens;
  /** Family options for encode/reconstruct/eval (CLI flags). */
  options?: readonly FamilyOption[];
  /** Upstream checkpoint tensors → tensors named as the graphs' parameters. */
  load(tensors: Map<string, Tensor>, config: C): Map<string, Tensor>;
  /** Nested state dicts of a training checkpoint to load first, in order (ALIT: `ema`, then `model`). */
  stateDictKeys?: readonly string[];
  /**
   * How upstream turns an image file or a video frame into the model's input
   * (shorter side resized, then centre crop) in encode, reconstruct and eval:
   * the resampling filter and size/crop rounding (core/data/resize.ts).
   * Default: torchvision's (Pillow bicubic, crop offsets rounded half to even).
   */
  inputTransform?: InputTransform;
  /** Upstream's evaluation protocol (`tok1d eval`); pytorch-fid's defaults when absent. */
  evalProtocol?: EvalProtocol;
  /** Pretrained helper networks by name (`teacher`), loaded by the trainer; see {@link HelperNetwork}. */
  helpers?: Record<string, HelperNetwork<C>>;
  /** Initialisation from a foundation checkpoint (`tok1d train --init`); see {@link InitMapper}. */
  init?: InitMapper<C>;
  train?: TrainHooks<C>;
}

/** Declares a plugin (identity at run time; checks the shape at compile time). */
export function definePlugin<C>(plugin: Plugin<C>): Plugin<C> {
  return plugin;
}
