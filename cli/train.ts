/**
 * `tok1d train`: parses the flags into typed options and calls
 * {@link trainTokenizer} (core/train/train.ts), which builds the family's
 * train-step graph, initialises (random, `--weights` through the family's
 * `load`, helper networks such as `--teacher`) or resumes, and runs the loop;
 * the EMA model is exported to `<out>/model/` (config + model.safetensors) at
 * every checkpoint, ready for `--model <out>/model`.
 *
 * Stages with a discriminator (e.g. TiTok `stage2`, `single`) train with the GAN
 * terms from `--discriminator-start` on, with upstream's settings unless
 * flags say otherwise; `--no-gan` trains without them.
 * @module
 */
import { existsSync } from "node:fs";
import { type Command, Option } from "commander";
import { UsageError } from "../core/errors.ts";
import { DEVICES } from "../core/runtime/mod.ts";
import { resolveModel } from "../core/resolve.ts";
import type { InitScheme } from "../core/init.ts";
import type { StepLog } from "../core/train/runner.ts";
import { BadImages } from "../core/data/bad_images.ts";
import { initLines } from "../core/train/init_from.ts";
import { trainTokenizer } from "../core/train/train.ts";
import { DEFAULT_CROP_SCALES, parseCropScales } from "../core/train/crops.ts";
import { intFlag } from "./common.ts";
import { STRICT_HELP } from "./flags.ts";
import { addFamilyOptions, type FamilyFlags, familyParams } from "./family_options.ts";
import {
  discriminatorOptions,
  type GanFlags,
  helperFiles,
  helperFlagOptions,
  num,
  parsePerceptualFiles,
  vqRestartThreshold,
} from "./train_options.ts";

/** Flags of `tok1d train` (helper flags such as `--teacher` come from the plugins' declarations). */
export interface TrainFlags extends GanFlags {
  model: string;
  data: string;
  out: string;
  weights?: string[];
  helper?: string[];
  stage?: string;
  steps: string;
  batchSize: string;
  lr?: string;
  endLr: string;
  warmup?: string;
  schedule?: string;
  accumulate?: string;
  cropScales?: string;
  seed: string;
  checkpointEvery: string;
  resume?: boolean;
  overwrite?: boolean;
  perceptual?: string | boolean;
  perceptualWeight?: string;
  perceptualWeights?: string;
  device: string;
  threads?: string;
  json?: boolean;
  strict?: boolean;
  stopAfter?: string;
  init?: string;
  initScheme?: string;
  posEmbed?: string;
  noiseScale?: string;
  vqRestart?: string;
  [helperFlag: string]: unknown;
}

const SCHEMES = ["titok", "fanin"];

/**
 * `--init <file>` (a foundation checkpoint) and `--init-scheme`; `--init titok|fanin`
 * (the flag's old meaning) still selects the scheme when no such file exists.
 */
function initFlags(f: TrainFlags): { scheme: InitScheme; file?: string } {
  if (f.init !== undefined && SCHEMES.includes(f.init) && !existsSync(f.init)) {
    console.error(`note: --init ${f.init} selects the random init scheme; say --init-scheme ${f.init}`);
    return { scheme: f.init as InitScheme };
  }
  const scheme = f.initScheme ?? "titok";
  if (!SCHEMES.includes(scheme)) {
    throw new UsageError(`--init-scheme ${scheme}: expected one of ${SCHEMES.join(", ")}`);
  }
  if (f.init !== undefined && !existsSync(f.init)) {
    throw new UsageError(`--init ${f.init}: no such file or folder`);
  }
  return { scheme: scheme as InitScheme, file: f.init };
}

/** Runs `tok1d train`; returns the final log (for tests). */
export async function trainCommand(f: TrainFlags): Promise<StepLog[]> {
  if (!f.out) throw new UsageError("--out: required");
  const model = resolveModel(f.model);
  const perceptualWeight = f.perceptualWeight === undefined ? undefined : Number(f.perceptualWeight);
  if (perceptualWeight !== undefined && f.perceptual !== false && !(perceptualWeight >= 0)) {
    throw new UsageError(`--perceptual-weight: expected a non-negative number, got '${f.perceptualWeight}'`);
  }
  const bad = new BadImages(!!f.strict);
  const init = initFlags(f);
  if (f.posEmbed !== undefined && !init.file) throw new UsageError("--pos-embed: only with --init <file>");
  const { state, log, model: modelDir, out, init: initReport, warnings } = await trainTokenizer({
    model: f.model,
    data: f.data,
    out: f.out,
    stage: f.stage,
    steps: intFlag(f.steps, "--steps")!,
    batchSize: intFlag(f.batchSize, "--batch-size")!,
    lr: f.lr === undefined ? undefined : num(f.lr, "--lr"),
    endLr: num(f.endLr, "--end-lr"),
    warmup: f.warmup === undefined ? undefined : num(f.warmup, "--warmup"),
    schedule: f.schedule as "cosine" | "constant" | undefined,
    accumulate: intFlag(f.accumulate, "--accumulate"),
    cropScales: f.cropScales === undefined ? undefined : parseCropScales(f.cropScales),
    seed: num(f.seed, "--seed"),
    checkpointEvery: intFlag(f.checkpointEvery, "--checkpoint-every")!,
    weights: f.weights,
    helpers: helperFiles(model.plugin, f.helper, f),
    params: familyParams(model.plugin, f as FamilyFlags, "train"),
    init: init.scheme,
    initFrom: init.file === undefined ? undefined : { path: init.file, posEmbed: f.posEmbed },
    noiseScale: f.noiseScale === undefined ? 1 : num(f.noiseScale, "--noise-scale"),
    resume: f.resume,
    overwrite: f.overwrite,
    perceptual: f.perceptual,
    perceptualWeight,
    perceptualFiles: f.perceptualWeights === undefined
      ? undefined
      : parsePerceptualFiles(f.perceptualWeights),
    vqRestart: vqRestartThreshold(f.vqRestart),
    gan: f.gan,
    discriminator: discriminatorOptions(f),
    device: f.device,
    threads: intFlag(f.threads, "--threads"),
    stopAfter: f.stopAfter === undefined ? undefined : num(f.stopAfter, "--stop-after"),
    quiet: f.json,
    badImages: bad,
  });
  // --json keeps stderr quiet during the run; what --init did is still listed there.
  if (f.json && initReport) { for (const line of initLines(initReport)) console.error(line); }
  const last = log[log.length - 1];
  const summary = {
    out,
    step: state.step,
    loss: last?.loss,
    terms: last?.terms,
    model: modelDir,
    badImages: bad.summary(),
    ...(initReport ? { init: initReport } : {}),
    warnings,
  };
  console.log(
    f.json ? JSON.stringify(summary, null, 2) : `trained to step ${state.step}; model in ${summary.model}`,
  );
  const skipped = bad.line();
  if (skipped) console.error(skipped);
  return log;
}

/** Adds `tok1d train` to the program. */
export function registerTrain(p: Command): void {
  const cmd = p.command("train").description(
    "train or fine-tune a tokenizer (one ONNX train-step graph per step)",
  )
    .requiredOption("--model <spec>", "config: preset, config file or HF-style folder")
    .requiredOption(
      "--data <spec>",
      "photos folder, ImageNet-style tree, .tar shard(s) or brace pattern; or videos (video models)",
    )
    .requiredOption("--out <dir>", "run folder: checkpoint, log.jsonl, loss.png, model/")
    .option(
      "--weights <path[@prefixes]>",
      "initial weights (e.g. a stage-1 checkpoint); repeat to layer files, later ones win; " +
        "path@pixel_quantize.,pixel_decoder. takes only keys with those prefixes",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      "--helper <name=file>",
      "a pretrained helper network the stage needs (a teacher, base tokenizer or foundation encoder); repeatable",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option("--stage <name>", "training stage (family specific; default from the config)")
    .option(
      "--steps <n>",
      "total optimizer steps (with --accumulate N, each runs N micro-batches; logs, --checkpoint-every " +
        "and the schedule count optimizer steps)",
      "1000",
    )
    .option("--batch-size <n>", "images per micro-batch (per step without --accumulate)", "8")
    .option(
      "--accumulate <n>",
      "gradient accumulation: micro-batches per optimizer step, losses averaged, one update " +
        "(default: the family's recipe, e.g. BDD-1D's grad_acc_steps, else 1)",
    )
    .option("--lr <x>", "peak learning rate (default: the family's recipe, else 1e-4)")
    .option("--end-lr <x>", "final learning rate of the cosine schedule", "1e-5")
    .option("--warmup <n>", "linear warm-up steps (default: the family's recipe, else 100)")
    .addOption(
      new Option(
        "--schedule <kind>",
        "after the warm-up: cosine to --end-lr, or constant (default: the family's)",
      )
        .choices(["cosine", "constant"]),
    )
    .option("--seed <n>", "seed for initialisation, crops and noise", "0")
    .option(
      "--crop-scales <list>",
      "a photo folder's random crops come from the photo resized to these multiples of the image size " +
        `(shorter side; 1 = the whole photo as encode sees it, larger = zoomed-in detail; default ` +
        `${DEFAULT_CROP_SCALES.join(",")})`,
    )
    .option("--checkpoint-every <n>", "steps between checkpoints", "100")
    .addOption(
      new Option("--init-scheme <scheme>", "random init of weight matrices").choices(SCHEMES).default(
        "titok",
      ),
    )
    .option(
      "--init <file>",
      "initialise from a foundation checkpoint the family maps (BDD-1D: MAE, DINO, CLIP, DINOv2 or " +
        "Depth-Anything v2 ViT, timm/original/HF layouts); unused keys are listed",
    )
    .option("--pos-embed <mode>", "with --init: positional table (BDD-1D: as-upstream, interpolate)")
    .option(
      "--noise-scale <s>",
      "scale of the noise a loss samples (a VAE posterior; 0: train on the mean)",
      "1",
    )
    .option("--resume", "continue from <out>/checkpoint.safetensors")
    .option("--overwrite", "start afresh in an --out that already holds a run")
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
    .option("--perceptual-weight <x>", "weight of the perceptual term (default: the stage's upstream weight)")
    .option(
      "--perceptual-weights <files>",
      "pretrained networks you bring: vgg=vgg16-397923af.pth,lpips=vgg.pth,convnext=convnext_small-0c510722.pth",
    )
    .option("--gan", "train with the discriminator (default for stages that have one)")
    .option("--no-gan", "train without the discriminator")
    .option("--discriminator-start <n>", "first step with the GAN terms (default: the stage's upstream one)")
    .option(
      "--discriminator-weight <x>",
      "weight of the generator's GAN term (default: the stage's upstream one)",
    )
    .option(
      "--lecam-weight <x>",
      "LeCam regularisation weight of the discriminator loss (default: the stage's upstream one)",
    )
    .option("--discriminator-lr <x>", "peak discriminator learning rate (default: the stage's upstream one)")
    .addOption(new Option("--device <name>", "execution provider").choices([...DEVICES]).default("cpu"))
    .option("--threads <n>", "intra-op threads")
    .addOption(new Option("--stop-after <n>", "stop this process after n steps (testing)").hideHelp())
    .option("--strict", STRICT_HELP)
    .option("--json", "machine-readable summary");
  for (const o of helperFlagOptions()) cmd.addOption(o);
  addFamilyOptions(cmd, "train");
  cmd.action(async (f) => {
    await trainCommand(f);
  });
}
