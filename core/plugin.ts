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
import type { LossBuilder } from "./autodiff/train_step.ts";
import type { DeadCodeOptions } from "./quantizers/dead_code.ts";
import type { AdamWOptions } from "./autodiff/optimizer.ts";
import type { GanSettings } from "./losses/gan.ts";

/** What a caller needs to know about a tokenizer's inputs and tokens. */
export interface TokenizerInfo {
  family: string;
  variant: string;
  imageSize: number;
  /** Token shape per image (TiTok VQ: [1, K]; VAE: [C, 1, K]). */
  tokenShape: number[];
  tokenDtype: DType;
  /** Codebook size for discrete tokens. */
  vocabulary?: number;
  /** The pixel range the family's networks see. */
  inputRange: [number, number];
  /** Continuous latent shape per image (what `decode` takes). */
  latentShape: number[];
  /**
   * The last token axis holds refinement depths (MARVEL: [1, K, D]): `decode`
   * also accepts a prefix of 1..D depths, passing the absent ones to the
   * `decodeTokens` graph as index −1.
   */
  depthPrefix?: boolean;
}

/**
 * The inference graphs of a family. Names of inputs/outputs are fixed:
 * encode: `image` → `tokens`, `latent`; decode: `latent` → `image`;
 * decodeTokens: `tokens` → `image`. Images are NCHW float32 in [0, 1].
 */
export interface InferenceGraphs {
  encode: Graph;
  decode: Graph;
  decodeTokens: Graph;
}

/** Options that change what `build` emits. */
export interface BuildOptions {
  /** Sample a VAE posterior (adds a `noise` input to encode) instead of using its mean. */
  sample?: boolean;
}

/**
 * A loss term the trainer adds to a family's reconstruction loss, built
 * from the real and reconstructed images (NCHW, [0, 1]): the adversarial
 * term of a GAN stage, a perceptual loss. The family adds `weight`·term to
 * its total and logs the term under its own name.
 */
export interface ImageLossTerm {
  weight: number;
  build(g: Graph, real: Value, fake: Value): Value;
}

/**
 * A stage's perceptual loss: upstream's model string (core/losses/perceptual.ts:
 * "lpips", "convnext_s", "lpips-convnext_s-1.0-0.1") and its weight in the total.
 */
export interface PerceptualSettings {
  spec: string;
  weight: number;
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
  trainable(config: C, o: { stage: string; batch: number }): (name: string) => boolean;
  /** The stage's AdamW settings (generator and discriminator): upstream's recipe for this family. */
  adamw(config: C, stage: string): AdamWOptions;
  /** Upstream's GAN settings of a stage; undefined for stages trained without a discriminator. */
  gan?(config: C, stage: string): GanSettings | undefined;
  /** Whether a stage trains a VQ codebook whose dead codes can be restarted (`vqRestart`). */
  vqRestart?(config: C, stage: string): boolean;
  /** Upstream's perceptual loss of a stage; undefined for stages without one. */
  perceptual?(config: C, stage: string): PerceptualSettings | undefined;
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

/** A tokenizer family. */
export interface Plugin<C = unknown> {
  name: string;
  /** Paper link. */
  paper: string;
  /** zod schema of the family's config, with defaults; upstream config files parse through it unchanged. */
  schema: z.ZodType<C>;
  /** Named presets: name → config object (upstream layout). */
  presets: Record<string, unknown>;
  /** Whether a raw (parsed YAML/JSON) config belongs to this family. */
  recognises(raw: unknown): boolean;
  info(config: C, variant: string): TokenizerInfo;
  build(config: C, opts?: BuildOptions): InferenceGraphs;
  /** Upstream checkpoint tensors → tensors named as the graphs' parameters. */
  load(tensors: Map<string, Tensor>, config: C): Map<string, Tensor>;
  /** Pretrained helper networks by name (`teacher`), loaded by the trainer; see {@link HelperNetwork}. */
  helpers?: Record<string, HelperNetwork<C>>;
  train?: TrainHooks<C>;
}

/** Declares a plugin (identity at run time; checks the shape at compile time). */
export function definePlugin<C>(plugin: Plugin<C>): Plugin<C> {
  return plugin;
}
