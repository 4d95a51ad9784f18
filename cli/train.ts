/**
 * `tok1d train`: builds the family's train-step graph, initialises (random,
 * `--weights`, `--teacher`) or resumes, and runs the loop; the EMA model is
 * exported to `<out>/model/` (config + model.safetensors) at every
 * checkpoint, ready for `--model <out>/model`.
 *
 * Stages with a discriminator (TiTok `stage2`, `single`) train with the GAN
 * terms from `--discriminator-start` on, with upstream's settings unless
 * flags say otherwise; `--no-gan` trains without them.
 * @module
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { type Command, Option } from "commander";
import { DEVICES } from "../core/runtime/mod.ts";
import { join } from "node:path";
import YAML from "yaml";
import { buildTrainStep } from "../core/autodiff/train_step.ts";
import { TITOK_ADAMW } from "../core/autodiff/optimizer.ts";
import { buildGanRun } from "../core/train/gan.ts";
import { UsageError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { randomWeights, Rng } from "../core/init.ts";
import { resolveModel } from "../core/resolve.ts";
import type { Tensor } from "../core/tensor.ts";
import { CropSampler } from "../core/train/crops.ts";
import { StreamSampler } from "../core/train/stream.ts";
import { checkpointPath, runTraining } from "../core/train/runner.ts";
import type { TrainState } from "../core/train/checkpoint.ts";
import { assertKeys, loadCheckpoint } from "../core/weights/checkpoint.ts";
import { readSafetensors, writeSafetensors } from "../core/weights/safetensors.ts";
import { configHash, intFlag, outDir } from "./common.ts";
import { isPerceptualParam, perceptualRun } from "./train_perceptual.ts";
import { type GanFlags, ganSettings, num, vqRestartOptions } from "./train_options.ts";
import { applyWeights, parseWeightsSource } from "./train_weights.ts";

/** Flags of `tok1d train`. */
export interface TrainFlags extends GanFlags {
  model: string;
  data: string;
  out: string;
  weights?: string[];
  teacher?: string;
  stage?: string;
  steps: string;
  batchSize: string;
  lr: string;
  endLr: string;
  warmup: string;
  seed: string;
  checkpointEvery: string;
  resume?: boolean;
  perceptual?: string | boolean;
  perceptualWeight?: string;
  perceptualWeights?: string;
  device: string;
  threads?: string;
  json?: boolean;
  stopAfter?: string;
  init?: string;
  noiseScale?: string;
  vqRestart?: string;
  gan?: boolean;
  discriminatorStart?: string;
  discriminatorWeight?: string;
  lecamWeight?: string;
  discriminatorLr?: string;
}

/** Runs `tok1d train`; returns the final log (for tests). */
export async function trainCommand(f: TrainFlags) {
  const model = resolveModel(f.model);
  const hooks = model.plugin.train;
  if (!hooks) {
    throw new UsageError(`--model ${f.model}: the ${model.plugin.name} family has no training support yet`);
  }
  const stage = f.stage ?? hooks.defaultStage(model.config);
  if (!hooks.stages.includes(stage)) {
    throw new UsageError(`--stage ${stage}: ${model.plugin.name} stages are ${hooks.stages.join(", ")}`);
  }
  const settings = ganSettings(hooks, model.config, stage, f);
  const steps = intFlag(f.steps, "--steps")!;
  const batch = intFlag(f.batchSize, "--batch-size")!;
  const seed = num(f.seed, "--seed");
  const out = outDir(f.out);
  const info = model.plugin.info(model.config, model.variant);
  const perceptual = perceptualRun(hooks, model.config, stage, f);
  const o = { stage, batch };
  const adamw = hooks.adamw?.(model.config, stage) ?? TITOK_ADAMW;
  const name = `${model.plugin.name}_${stage}`;
  const familyTrainable = hooks.trainable(model.config, o);
  const trainable = (p: string) => !isPerceptualParam(p) && familyTrainable(p);
  const vqRestart = f.vqRestart === undefined
    ? undefined
    : vqRestartOptions(hooks, model.config, stage, f.vqRestart);
  const withTerms = { ...o, perceptual: perceptual.term, vqRestart };
  const step = buildTrainStep(name, hooks.loss(model.config, withTerms), trainable, adamw);
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
      loss: (adversarial) => hooks.loss(model.config, { ...withTerms, adversarial }),
    });
  } catch (e) {
    if (!(e instanceof Error && /cannot be pooled/.test(e.message))) throw e;
    throw new UsageError(`--model ${f.model}: ${e.message}; or pass --no-gan`);
  }
  const shapes = new Map(
    [...step.trainable, ...step.frozen].filter((p) => !isPerceptualParam(p.name)).map((
      p,
    ) => [p.name, p.shape]),
  );
  const ganMeta = settings ? JSON.stringify(settings) : "off";
  const resuming = !!f.resume && existsSync(checkpointPath(out));
  if (resuming) {
    const previous = readSafetensors(checkpointPath(out)).metadata;
    if (previous.config_hash !== configHash(model.config) || previous.stage !== stage) {
      throw new UsageError(
        `--resume: ${checkpointPath(out)} was trained with another config or stage; use a new --out`,
      );
    }
    if ((previous.perceptual ?? "off") !== perceptual.meta) {
      throw new UsageError(
        `--resume: ${checkpointPath(out)} was trained with perceptual loss ${
          previous.perceptual ?? "off"
        }, ` +
          `not ${perceptual.meta}; pass the same --perceptual flags or use a new --out`,
      );
    }
    if ((previous.vq_restart ?? "off") !== (f.vqRestart ?? "off")) {
      throw new UsageError(
        `--resume: ${checkpointPath(out)} was trained with --vq-restart ${previous.vq_restart ?? "off"}; ` +
          `pass the same or use a new --out`,
      );
    }
    if ((previous.gan ?? "off") !== ganMeta) {
      throw new UsageError(
        `--resume: ${checkpointPath(out)} was trained with GAN settings ${previous.gan ?? "off"}, ` +
          `not ${ganMeta}; pass the same --gan/--discriminator-* flags or use a new --out`,
      );
    }
  }
  const init = resuming ? new Map<string, Tensor>() : initialWeights(shapes, f, seed, hooks.teacherPrefix);
  const images = await imagesFor(f.data, info.imageSize, batch, seed);
  const noiseInput = step.batchInputs.find((v) => v.name === "noise");
  const noiseScale = f.noiseScale === undefined ? 1 : num(f.noiseScale, "--noise-scale");
  const batchAt = async (s: number) => {
    const feeds: Record<string, Tensor> = { image: await images.at(s) };
    if (noiseInput) feeds.noise = normal(noiseInput.shape as number[], seed * 7 + s, noiseScale);
    return feeds;
  };
  const meta = {
    seed: String(seed),
    stage,
    config: JSON.stringify(model.config),
    config_hash: configHash(model.config),
    data: f.data,
    gan: ganMeta,
    perceptual: perceptual.meta,
    vq_restart: f.vqRestart ?? "off",
  };
  const exportModel = (state: TrainState) =>
    Promise.resolve(exportEma(out, model.config, state, hooks.teacherPrefix));
  let result;
  try {
    result = await runTraining(step, init, batchAt, meta, {
      out,
      steps,
      lr: num(f.lr, "--lr"),
      endLr: num(f.endLr, "--end-lr"),
      warmup: num(f.warmup, "--warmup"),
      checkpointEvery: intFlag(f.checkpointEvery, "--checkpoint-every")!,
      device: f.device,
      threads: intFlag(f.threads, "--threads"),
      resume: f.resume,
      stopAfter: f.stopAfter === undefined ? undefined : num(f.stopAfter, "--stop-after"),
      quiet: f.json,
      onCheckpoint: exportModel,
      gan,
      external: perceptual.weights,
    });
  } finally {
    await images.close();
  }
  const { state, log } = result;
  const last = log[log.length - 1];
  const summary = { out, step: state.step, loss: last?.loss, terms: last?.terms, model: join(out, "model") };
  console.log(
    f.json ? JSON.stringify(summary, null, 2) : `trained to step ${state.step}; model in ${summary.model}`,
  );
  return log;
}

function initialWeights(
  shapes: Map<string, number[]>,
  f: TrainFlags,
  seed: number,
  teacherPrefix?: string,
): Map<string, Tensor> {
  const specs = [...shapes].map(([name, shape]) => ({ name, shape, dtype: "float32" as const }));
  const weights = randomWeights(specs, seed, f.init === "fanin" ? "fanin" : "titok");
  const sources = (f.weights ?? []).map(parseWeightsSource);
  const counts = applyWeights(weights, shapes, sources);
  if (!f.json) {
    sources.forEach((src, i) =>
      console.error(`--weights: ${counts[i]} of ${shapes.size} parameters from ${src.path}`)
    );
  }
  const teacherKeys = [...shapes.keys()].filter((k) => teacherPrefix && k.startsWith(teacherPrefix));
  if (teacherKeys.length) {
    if (!f.teacher) {
      throw new UsageError(
        "--teacher: this stage needs the MaskGIT-VQGAN weights (maskgit-vqgan-imagenet-f16-256.bin, published in the " +
          "HF repo fun-research/TiTok); pass the file with --teacher",
      );
    }
    const t = loadCheckpoint(f.teacher).tensors;
    const mapped = new Map([...t].map(([k, v]) => [teacherPrefix + k, v]));
    assertKeys(new Map(teacherKeys.map((k) => [k, shapes.get(k)!])), mapped, {
      source: f.teacher,
      allowUnexpected: (k: string) => !teacherKeys.includes(k),
    });
    for (const k of teacherKeys) weights.set(k, mapped.get(k)!);
  }
  return weights;
}

/**
 * Batches by step: a flat folder of photos gives random multi-scale crops of
 * photos held in memory (small sets); anything else (shards, brace patterns,
 * ImageNet-style trees) streams through the dataset reader.
 */
async function imagesFor(data: string, size: number, batch: number, seed: number) {
  const flat = existsSync(data) && statSync(data).isDirectory() &&
    readdirSync(data).some((f) => /\.(png|jpe?g|webp)$/i.test(f));
  if (flat) {
    const sampler = await CropSampler.fromFolder(data, size, seed);
    return { at: (s: number) => Promise.resolve(sampler.batch(s, batch)), close: () => Promise.resolve() };
  }
  const stream = new StreamSampler(data, size, batch, seed);
  return { at: (s: number) => stream.batchAt(s), close: () => stream.close() };
}

function normal(shape: number[], seed: number, scale = 1): Tensor {
  const rng = new Rng(seed >>> 0);
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: "float32", shape, data: Float32Array.from({ length: n }, () => scale * rng.normal()) };
}

/** Writes `<out>/model/` with the EMA weights (and frozen ones, minus any teacher). */
function exportEma(out: string, config: unknown, state: TrainState, teacherPrefix?: string): void {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of state.frozen) if (!teacherPrefix || !k.startsWith(teacherPrefix)) tensors.set(k, t);
  for (const [k, t] of state.ema) tensors.set(k, t);
  const dir = join(out, "model");
  writeSafetensors(join(dir, "model.safetensors"), tensors, {
    format: "pt",
    producer: "tok1d train",
    step: String(state.step),
  });
  writeFileAtomic(join(dir, "config.yaml"), YAML.stringify(config));
}

/** Adds `tok1d train` to the program. */
export function registerTrain(p: Command): void {
  p.command("train").description("train or fine-tune a tokenizer (one ONNX train-step graph per step)")
    .requiredOption("--model <spec>", "config: preset, config file or HF-style folder")
    .requiredOption("--data <spec>", "photos folder, ImageNet-style tree, .tar shard(s) or brace pattern")
    .requiredOption("--out <dir>", "run folder: checkpoint, log.jsonl, loss.png, model/")
    .option(
      "--weights <path[@prefixes]>",
      "initial weights (e.g. a stage-1 checkpoint); repeat to layer files, later ones win; " +
        "path@pixel_quantize.,pixel_decoder. takes only keys with those prefixes",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option("--teacher <file>", "MaskGIT-VQGAN weights for TiTok stage-1 proxy codes")
    .option("--stage <name>", "training stage (family specific; default from the config)")
    .option("--steps <n>", "total optimizer steps", "1000")
    .option("--batch-size <n>", "images per step", "8")
    .option("--lr <x>", "peak learning rate", "1e-4")
    .option("--end-lr <x>", "final learning rate of the cosine schedule", "1e-5")
    .option("--warmup <n>", "linear warm-up steps", "100")
    .option("--seed <n>", "seed for initialisation, crops and noise", "0")
    .option("--checkpoint-every <n>", "steps between checkpoints", "100")
    .addOption(
      new Option("--init <scheme>", "random init of weight matrices").choices(["titok", "fanin"]).default(
        "titok",
      ),
    )
    .option(
      "--noise-scale <s>",
      "scale of the VAE posterior noise while training (0: train on the mean)",
      "1",
    )
    .option("--resume", "continue from <out>/checkpoint.safetensors")
    .option(
      "--vq-restart <threshold>",
      "restart VQ codes whose usage EMA (picks per step, decay 0.99) falls below this onto batch encoder " +
        "outputs (not upstream's recipe; keeps small single-stage VQ runs from collapsing, e.g. 0.01)",
    )
    .option(
      "--perceptual <spec>",
      "perceptual loss instead of the stage's upstream one: lpips, convnext_s, lpips-convnext_s-<a>-<b>",
    )
    .option("--no-perceptual", "train without the perceptual loss")
    .option("--perceptual-weight <x>", "weight of the perceptual term (TiTok stage2: 0.1, single: 1.1)")
    .option(
      "--perceptual-weights <files>",
      "pretrained networks you bring: vgg=vgg16-397923af.pth,lpips=vgg.pth,convnext=convnext_small-0c510722.pth",
    )
    .option("--gan", "train with the discriminator (default for stages that have one: TiTok stage2, single)")
    .option("--no-gan", "train without the discriminator")
    .option("--discriminator-start <n>", "first step with the GAN terms (stage2: 20000, single: 200000)")
    .option("--discriminator-weight <x>", "weight of the generator's GAN term (stage2: 0.01, single: 0.1)")
    .option("--lecam-weight <x>", "LeCam regularisation weight of the discriminator loss (0.001)")
    .option("--discriminator-lr <x>", "peak discriminator learning rate (1e-4)")
    .addOption(new Option("--device <name>", "execution provider").choices([...DEVICES]).default("cpu"))
    .option("--threads <n>", "intra-op threads")
    .addOption(new Option("--stop-after <n>", "stop this process after n steps (testing)").hideHelp())
    .option("--json", "machine-readable summary")
    .action(async (f) => {
      await trainCommand(f);
    });
}
