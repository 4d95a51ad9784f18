/**
 * Training as a library function: {@link trainTokenizer} resolves the model
 * and stage, builds the family's train-step graph (and the GAN run where the
 * stage has a discriminator), loads the perceptual networks, initialises the
 * weights (seeded random, then checkpoints through the family's `load`, then
 * the helper networks the stage needs) or resumes, feeds each step the batch
 * inputs the loss declares, and runs the loop; at every checkpoint the EMA
 * model is exported to `<out>/model/` (config + model.safetensors, helpers
 * left out), ready to load as a model. All family knowledge — stages, losses,
 * optimiser recipe, GAN and perceptual settings, helpers — comes from the
 * plugin. `tok1d train` is flag parsing around this.
 *
 * @example
 * ```ts
 * import { trainTokenizer } from "./mod.ts";
 * const { log, model } = await trainTokenizer({
 *   model: "titok/tiny_vq", data: "photos/", out: "runs/a", steps: 100, batchSize: 4, perceptual: false,
 * });
 * ```
 * @module
 */
import type { BadImages } from "../data/bad_images.ts";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { buildTrainStep } from "../autodiff/train_step.ts";
import { configHash } from "../config.ts";
import { UsageError } from "../errors.ts";
import { writeFileAtomic } from "../fs.ts";
import { type InitScheme, randomWeights } from "../init.ts";
import type { PerceptualFileKind } from "../losses/perceptual_weights.ts";
import type { Plugin } from "../plugin.ts";
import { type ResolvedModel, resolveModel } from "../resolve.ts";
import type { Tensor } from "../tensor.ts";
import { writeSafetensors } from "../weights/safetensors.ts";
import type { TrainState } from "./checkpoint.ts";
import { checkCropScales, DEFAULT_CROP_SCALES } from "./crops.ts";
import {
  batchFeeder,
  declaredFeeds,
  imagesInput,
  isPhotoFolder,
  openImageBatches,
  streamedCropScales,
} from "./feeds.ts";
import { openClipBatches } from "./clips.ts";
import { forwardGraph } from "./forward.ts";
import { buildGanRun } from "./gan.ts";
import { helperParam, type HelperSource, loadHelpers } from "./helpers.ts";
import { applyInit, checkInitFrom, type InitFrom, initLines, type InitReport } from "./init_from.ts";
import { isPerceptualParam, perceptualRun } from "./perceptual.ts";
import { checkResume, type RunMeta } from "./resume.ts";
import { warmupWarning } from "./collapse.ts";
import { checkpointPath, runTraining, type StepLog } from "./runner.ts";
import { type DiscriminatorOptions, ganSettings, vqRestartOptions } from "./settings.ts";
import { discriminatorTaker } from "./discriminator_weights.ts";
import { withRecipe } from "./recipe.ts";
import { applyWeights, parseWeightsSource, type WeightsSource } from "./weights.ts";

/** Options of {@link trainTokenizer}; defaults are those of `tok1d train`. */
export interface TrainOptions {
  /** A preset (`titok/tiny_vq`), config file or HF-style folder, or a resolved model. */
  model: string | ResolvedModel;
  /** Photos folder, ImageNet-style tree, .tar shard(s) or brace pattern; for a video model, videos (core/train/clips.ts). */
  data: string;
  /** Run folder: checkpoint.safetensors, log.jsonl, loss.png, model/. */
  out: string;
  /** Training stage (default: the family's for this config). */
  stage?: string;
  /** Total optimizer steps (1000). */
  steps?: number;
  /** Images per step (8). */
  batchSize?: number;
  /**
   * Peak learning rate, final rate of the cosine schedule (1e-5), linear warm-up steps: the
   * family's recipe (TrainHooks.recipe), else 1e-4, 1e-5, 100.
   */
  lr?: number;
  endLr?: number;
  warmup?: number;
  /** Learning-rate schedule after the warm-up: `cosine` to `endLr` or `constant` (default: the family's, else cosine). */
  schedule?: "cosine" | "constant";
  /**
   * Micro-batches per optimiser step (gradient accumulation; default: the family's recipe, else 1):
   * each step runs `accumulate` batches of `batchSize` and updates once. `steps` counts optimiser steps.
   */
  accumulate?: number;
  /** Seed of initialisation, crops and noise (0). */
  seed?: number;
  /**
   * Shorter side of each scale a photo folder's random crops come from, in multiples of the image size
   * (default 1, 1.25, 1.5, 2; core/train/crops.ts). Only for a flat folder of photos.
   */
  cropScales?: number[];
  /** Steps between checkpoints (100). */
  checkpointEvery?: number;
  /** A foundation checkpoint mapped by the family's `init` mapper (after the random init, before `weights`). */
  initFrom?: InitFrom;
  /** Initial weights, layered in order (later win): paths, `path@prefix,…` or parsed sources. */
  weights?: (string | WeightsSource)[];
  /** Helper networks' files (or upstream-layout tensors) by helper name (e.g. `teacher`). */
  helpers?: Record<string, HelperSource>;
  /** Seeded random weights for helpers not given (tests, benchmarks: the losses are then meaningless). */
  randomHelpers?: boolean;
  /** Random init of weight matrices ("titok": N(0, 0.02²) truncated; "fanin"). */
  init?: InitScheme;
  /** Scale of every standard-normal feed (e.g. VAE posterior noise; 0 trains on the mean). */
  noiseScale?: number;
  /** Continue from `<out>/checkpoint.safetensors` if it exists. */
  resume?: boolean;
  /** Start afresh in an `out` that already holds a run (its checkpoint is replaced at the first save). */
  overwrite?: boolean;
  /** false: no perceptual loss; a spec string: this loss instead of the stage's. */
  perceptual?: boolean | string;
  perceptualWeight?: number;
  /** The perceptual networks' files by kind (`vgg`, `lpips`, `convnext`). */
  perceptualFiles?: Partial<Record<PerceptualFileKind, string>>;
  /** Restart VQ codes whose usage EMA falls below this threshold. */
  vqRestart?: number;
  /** The family's training options by name (e.g. BDD-1D's `upstreamBugs`). */
  params?: Record<string, unknown>;
  /** false: no discriminator; true: require one; undefined: the stage's default. */
  gan?: boolean;
  discriminator?: DiscriminatorOptions;
  device?: string;
  threads?: number;
  /** Stop this process after this many steps (testing). */
  stopAfter?: number;
  /** No progress or notes on stderr. */
  quiet?: boolean;
  /** The shared bad-image policy (core/data/bad_images.ts): skipped images are counted there; strict stops. */
  badImages?: BadImages;
  /** Where warnings go (default: stderr, prefixed `warning:`); they are also returned. */
  onWarning?: (message: string) => void;
}

/** What {@link trainTokenizer} returns. */
export interface TrainResult {
  out: string;
  stage: string;
  /** The folder of the exported EMA model. */
  model: string;
  state: TrainState;
  log: StepLog[];
  /** What `initFrom` did (absent without it, or when resuming). */
  init?: InitReport;
  /** What the run warned about (core/train/collapse.ts): a warm-up past the run, collapsed tokens. */
  warnings: string[];
}

const spec = (m: string | ResolvedModel) => typeof m === "string" ? m : m.configSource;

/** Resolves the model and stage of a run, refusing families without training and unknown stages. */
export function trainTarget(model: string | ResolvedModel, stage?: string) {
  const resolved = typeof model === "string" ? resolveModel(model) : model;
  const hooks = resolved.plugin.train;
  if (!hooks) {
    throw new UsageError(
      `--model ${spec(model)}: the ${resolved.plugin.name} family has no training support yet`,
    );
  }
  const s = stage ?? hooks.defaultStage(resolved.config);
  if (!hooks.stages.includes(s)) {
    throw new UsageError(`--stage ${s}: ${resolved.plugin.name} stages are ${hooks.stages.join(", ")}`);
  }
  return { model: resolved, hooks, stage: s };
}

/** Trains (or resumes) a tokenizer; see the module doc. */
export async function trainTokenizer(options: TrainOptions): Promise<TrainResult> {
  const { model, hooks, stage } = trainTarget(options.model, options.stage);
  const { plugin, config } = model;
  const o = withRecipe(options, hooks, config, stage, plugin.name);
  // Never lose a run: an existing run folder is continued or replaced only when asked.
  if (!o.resume && !o.overwrite && existsSync(checkpointPath(o.out))) {
    throw new UsageError(
      `--out ${o.out}: already holds a run (${checkpointPath(o.out)}); pass --resume to continue it, ` +
        `--overwrite to start afresh there, or another --out`,
    );
  }
  if (o.resume && o.overwrite) throw new UsageError("--overwrite: not with --resume");
  const warn = o.onWarning ?? ((m: string) => console.error(`warning: ${m}`));
  const early = [warmupWarning(o.warmup, o.steps)].filter((m): m is string => !!m);
  early.forEach(warn);
  const settings = ganSettings(hooks, config, stage, o.gan, o.discriminator);
  if (o.initFrom) checkInitFrom(plugin, o.initFrom); // before any heavy work
  const info = plugin.info(config, model.variant);
  if (o.cropScales) {
    checkCropScales(o.cropScales);
    if (info.input.kind === "video" || !isPhotoFolder(o.data)) throw streamedCropScales(o.data);
  }
  const batch = o.batchSize, seed = o.seed;
  mkdirSync(o.out, { recursive: true });
  const perceptual = perceptualRun(hooks, config, stage, {
    perceptual: o.perceptual,
    weight: o.perceptualWeight,
    files: o.perceptualFiles,
  });
  const adamw = hooks.adamw(config, stage);
  const name = `${plugin.name}_${stage}`;
  const params = o.params ?? {};
  const familyTrainable = hooks.trainable(config, { stage, batch, params });
  const isHelper = helperParam(plugin);
  const trainable = (p: string) => !isPerceptualParam(p) && !isHelper(p) && familyTrainable(p);
  const vqRestart = o.vqRestart === undefined
    ? undefined
    : vqRestartOptions(hooks, config, stage, o.vqRestart);
  const withTerms = { stage, batch, perceptual: perceptual.term, vqRestart, params };
  const acc = o.accumulate > 1 ? { accumulate: "final" as const } : {};
  const step = buildTrainStep(name, hooks.loss(config, withTerms), trainable, adamw, acc);
  declaredFeeds(step);
  // A stage with step variants (ALIT's stage 2: one graph per rollout iteration) builds them all now:
  // their parameters together are the run's.
  const variantCount = hooks.variants?.(config, stage) ?? 1;
  const variantSteps = [step];
  for (let v = 1; v < variantCount; v++) {
    variantSteps.push(
      buildTrainStep(`${name}_${v}`, hooks.loss(config, { ...withTerms, variant: v }), trainable, adamw, acc),
    );
  }
  const reconstruct = (v: number) =>
    forwardGraph(
      `${name}_reconstruct_${v}`,
      hooks.loss(config, { ...withTerms, variant: v }),
      "reconstruction",
    );
  // A cadence with discriminator-only steps (a GAN `period`) needs the reconstruction graph even with one
  // variant (ALIT with a single rollout iteration).
  const variants = variantCount > 1 || (settings?.period ?? 1) > 1
    ? { count: variantCount, step: (v: number) => variantSteps[v], reconstruct }
    : undefined;
  const discriminatorInit = new Map<string, Tensor>();
  let gan;
  try {
    gan = settings && buildGanRun({
      name,
      batch,
      imageSize: info.imageSize,
      seed,
      settings,
      adamw,
      trainable,
      real: imagesInput(step),
      accumulate: o.accumulate,
      initial: discriminatorInit,
      loss: (adversarial, variant) => hooks.loss(config, { ...withTerms, adversarial, variant }),
    });
  } catch (e) {
    if (!(e instanceof Error && /cannot be pooled/.test(e.message))) throw e;
    throw new UsageError(`--model ${spec(o.model)}: ${e.message}; or pass --no-gan`);
  }
  const specs = variantSteps.flatMap((v) => [...v.trainable, ...v.frozen]);
  const shapes = new Map(specs.filter((p) => !isPerceptualParam(p.name)).map((p) => [p.name, p.shape]));
  const meta: RunMeta = {
    seed: String(seed),
    stage,
    config: JSON.stringify(config),
    configHash: configHash(config),
    data: o.data,
    gan: settings ? JSON.stringify({ ...settings, network: settings.network?.name }) : "off",
    perceptual: perceptual.meta,
    vq_restart: o.vqRestart === undefined ? "off" : String(o.vqRestart),
    ...(Object.keys(params).length ? { params: JSON.stringify(params) } : {}),
    ...(o.accumulate > 1 ? { accumulate: String(o.accumulate) } : {}),
    // Recorded only when not the default, so runs from before the option resume.
    ...(o.cropScales && o.cropScales.join(",") !== DEFAULT_CROP_SCALES.join(",")
      ? { crop_scales: o.cropScales.join(",") }
      : {}),
  };
  const ckpt = checkpointPath(o.out);
  const resuming = !!o.resume && existsSync(ckpt);
  if (resuming) checkResume(ckpt, meta);
  if (resuming && o.initFrom && !o.quiet) {
    console.error(`note: --init ${o.initFrom.path}: ignored when resuming`);
  }
  const { weights: init, report } = resuming
    ? { weights: new Map<string, Tensor>(), report: undefined }
    : initialWeights(
      plugin,
      config,
      stage,
      shapes,
      o,
      discriminatorTaker(settings, discriminatorInit, o.quiet),
    );
  if (gan && discriminatorInit.size) {
    // Discriminator weights from --weights: refuse a shape mismatch now, not at the GAN's start.
    const steps = gan.build();
    steps.init(steps.discriminator(0));
  }
  const images = info.input.kind === "video"
    ? await openClipBatches(o.data, {
      size: info.imageSize,
      frames: info.input.frames,
      batch,
      seed,
      transform: plugin.inputTransform,
      badImages: o.badImages,
    })
    : await openImageBatches(
      o.data,
      info.imageSize,
      batch,
      seed,
      o.badImages,
      plugin.inputTransform,
      o.cropScales,
    );
  const batchAt = batchFeeder(step, { images, seed, noiseScale: o.noiseScale, accumulate: o.accumulate });
  let result;
  try {
    result = await runTraining(step, init, batchAt, meta, {
      out: o.out,
      steps: o.steps,
      lr: o.lr,
      endLr: o.endLr,
      warmup: o.warmup,
      schedule: o.schedule,
      accumulate: o.accumulate,
      reconstruct,
      checkpointEvery: o.checkpointEvery,
      device: o.device,
      threads: o.threads,
      resume: o.resume,
      stopAfter: o.stopAfter,
      quiet: o.quiet,
      onCheckpoint: (state) => Promise.resolve(exportEma(o.out, config, state, isHelper)),
      gan,
      external: perceptual.weights,
      variants,
      vocabulary: info.vocabulary,
      onWarning: warn,
    });
  } finally {
    await images.close();
  }
  return {
    out: o.out,
    stage,
    model: join(o.out, "model"),
    ...result,
    warnings: [...early, ...result.warnings],
    ...(report ? { init: report } : {}),
  };
}

/**
 * Seeded random weights, then `initFrom` through the family's `init` mapper, then the
 * `weights` sources through the family's `load`, then the stage's helpers.
 */
function initialWeights(
  plugin: Plugin<unknown>,
  config: unknown,
  stage: string,
  shapes: Map<string, number[]>,
  o: TrainOptions & { seed: number },
  aside?: (raw: Map<string, Tensor>, path: string) => number,
): { weights: Map<string, Tensor>; report?: InitReport } {
  const specs = [...shapes].map(([name, shape]) => ({ name, shape, dtype: "float32" as const }));
  const scheme = o.init ?? "titok";
  const weights = randomWeights(specs, o.seed, scheme);
  let report: InitReport | undefined;
  if (o.initFrom) {
    const isHelper = helperParam(plugin);
    const own = new Map([...shapes].filter(([k]) => !isHelper(k)));
    report = applyInit(plugin, config, own, weights, o.initFrom);
    if (!o.quiet) { for (const line of initLines(report)) console.error(line); }
  }
  const sources = (o.weights ?? []).map((w) => typeof w === "string" ? parseWeightsSource(w) : w);
  const counts = applyWeights(weights, shapes, sources, (t) => plugin.load(t, config), aside);
  if (!o.quiet) {
    sources.forEach((src, i) =>
      console.error(`--weights: ${counts[i]} of ${shapes.size} parameters from ${src.path}`)
    );
  }
  const helpers = loadHelpers(plugin, config, stage, shapes, {
    given: o.helpers ?? {},
    random: o.randomHelpers ? { seed: o.seed, scheme } : undefined,
    quiet: o.quiet,
  });
  for (const [k, t] of helpers) weights.set(k, t);
  return { weights, report };
}

/** Writes `<out>/model/` with the EMA weights and the frozen ones, minus helper networks. */
function exportEma(
  out: string,
  config: unknown,
  state: TrainState,
  isHelper: (name: string) => boolean,
): void {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of state.frozen) if (!isHelper(k)) tensors.set(k, t);
  for (const [k, t] of state.ema) tensors.set(k, t);
  const dir = join(out, "model");
  writeSafetensors(join(dir, "model.safetensors"), tensors, {
    format: "pt",
    producer: "tok1d train",
    step: String(state.step),
  });
  writeFileAtomic(join(dir, "config.yaml"), YAML.stringify(config));
}
