/**
 * `tok1d eval`: reconstruct a dataset with a tokenizer and measure rFID (the
 * family's upstream protocol), PSNR, SSIM and codebook usage; `--report`
 * writes metrics.json, grids and report.html. `--shard K/N --out <dir>`
 * saves a part; `tok1d eval merge <dirs…>` joins the parts exactly.
 *
 * @example
 * ```sh
 * tok1d eval --model titok/s128 --weights tokenizer_titok_s128.bin --data imagenet/val \
 *   --inception pt_inception-2015-12-05-6726825d.pth --limit 1000 --report out/eval
 * ```
 * @module
 */
import { existsSync } from "node:fs";
import { Command, Option } from "commander";
import { BadImages, skippedLine } from "../core/data/bad_images.ts";
import { openImageSource } from "../core/data/reader.ts";
import { openVideoSource } from "../core/data/video_sources.ts";
import { parseShardFlag } from "../core/data/shard_slice.ts";
import { isVideoPart } from "../core/metrics/eval_video_state.ts";
import { evalVideoAction, mergeVideoParts, type VideoEvalFlags } from "./eval_video.ts";
import { UsageError } from "../core/errors.ts";
import {
  accumulateEvaluation,
  describeProtocol,
  type EvaluateOptions,
  evaluateTokenizer,
  type Evaluation,
  familyProtocol,
  releaseState,
  summarise,
} from "../core/metrics/evaluate.ts";
import {
  type EvaluationMeta,
  loadEvaluationStates,
  saveEvaluationState,
} from "../core/metrics/eval_state.ts";
import { InceptionFeatures } from "../core/metrics/features.ts";
import { FID_PROTOCOLS, type FidProtocol } from "../core/metrics/inception.ts";
import { inceptionFileWarning, missingInceptionMessage } from "../core/metrics/inception_weights.ts";
import { writeStatistics } from "../core/metrics/stats_file.ts";
import { evaluationJson, type ReportContext, writeEvaluationReport } from "../core/report/eval_report.ts";
import { DEVICES } from "../core/runtime/mod.ts";
import { calibrateOption, precisionOption } from "./precision.ts";
import { intFlag, type ModelFlags, outDir, Progress, tokenizerFromFlags } from "./common.ts";
import { STRICT_HELP } from "./flags.ts";
import { inceptionSpec } from "./fid.ts";
import { addFamilyOptions, type FamilyFlags, familyParams } from "./family_options.ts";
import { resolveModel } from "../core/resolve.ts";

interface EvalFlags extends Omit<ModelFlags, "model"> {
  model?: string;
  data?: string;
  limit?: string;
  inception?: string;
  fid: boolean;
  curve: boolean;
  protocol?: FidProtocol;
  report?: string;
  out?: string;
  shard?: string;
  saveStats?: string;
  workers?: string;
  adaptive?: boolean;
  threshold?: string;
  strict?: boolean;
}

/** Prints the summary: JSON on stdout with --json, else a few lines. */
function print(e: Evaluation, ctx: ReportContext, json?: boolean): void {
  // (A non-official Inception file was reported on stderr as it loaded.)
  if (e.rfid?.degenerate) console.error(`warning: ${e.rfid.degenerate}`);
  const skipped = skippedLine(ctx.badImages?.length ?? 0);
  if (skipped) console.error(skipped);
  if (json) return console.log(JSON.stringify(evaluationJson(e, ctx), null, 2));
  const lines = [`images: ${e.images} (${e.tokensPerImage} tokens each)`];
  if (e.rfid) {
    lines.push(`rFID: ${e.rfid.degenerate ? "not meaningful (see the warning)" : e.rfid.fid.toFixed(4)}`);
  }
  lines.push(`PSNR: ${e.psnr.toFixed(3)} dB`, `SSIM: ${e.ssim.toFixed(4)}`, `L1: ${e.l1.toFixed(5)}`);
  if (e.lengths) {
    lines.push(
      `token counts (adaptive): ${
        Object.entries(e.lengths).sort((a, b) => Number(a[0]) - Number(b[0])).map(([k, v]) => `${k}×${v}`)
          .join(", ")
      }`,
    );
  }
  if (e.codebook) {
    lines.push(
      `codebook usage: ${
        e.codebook.usagePercent.toFixed(2)
      } % (${e.codebook.used}/${e.codebook.vocabulary}), ` +
        `entropy ${e.codebook.entropyBits.toFixed(3)} bits, perplexity ${e.codebook.perplexity.toFixed(1)}`,
    );
  }
  for (const p of e.curve ?? []) {
    lines.push(
      `  ${p.adaptive ? `adaptive, mean ${p.tokensPerImage.toFixed(1)}` : p.tokensPerImage} tokens: ` +
        `PSNR ${p.psnr.toFixed(3)}, SSIM ${p.ssim.toFixed(4)}, L1 ${p.l1.toFixed(5)}` +
        (p.rfid === undefined ? "" : `, rFID ${p.rfid.toFixed(4)}`),
    );
  }
  console.log(lines.join("\n"));
}

async function finish(
  e: Evaluation,
  ctx: ReportContext,
  f: { report?: string; saveStats?: string; json?: boolean },
) {
  if (f.report) {
    const files = await writeEvaluationReport(outDir(f.report, "--report"), e, ctx);
    if (!f.json) console.error(`wrote ${files.join(", ")}`);
  }
  if (f.saveStats) {
    if (!e.statistics) throw new UsageError("--save-stats: FID was not computed (drop --no-fid)");
    writeStatistics(`${f.saveStats}/real.npz`, e.statistics.real);
    writeStatistics(`${f.saveStats}/fake.npz`, e.statistics.fake);
  }
  print(e, ctx, f.json);
}

/** `--adaptive --threshold T` → the evaluation's adaptive option. */
function adaptiveOption(f: EvalFlags): { threshold: number } | undefined {
  if (!f.adaptive) {
    if (f.threshold !== undefined) throw new UsageError("--threshold: only with --adaptive");
    return undefined;
  }
  const t = Number(f.threshold);
  if (f.threshold === undefined || !Number.isFinite(t) || t < 0) {
    throw new UsageError(`--threshold: --adaptive needs a number ≥ 0, got '${f.threshold ?? ""}'`);
  }
  return { threshold: t };
}

async function evalAction(f: EvalFlags): Promise<void> {
  if (!f.model) {
    throw new UsageError("--model: required (a preset, config file, HF-style folder or 'default')");
  }
  if (!f.data) throw new UsageError("--data: required (an image folder, class tree or webdataset shards)");
  const videos = await openVideoSource([f.data], f.shard === undefined ? undefined : parseShardFlag(f.shard));
  if (videos) return await evalVideoAction(videos, f as VideoEvalFlags);
  if (f.shard && !f.out) {
    throw new UsageError("--shard: also pass --out <dir> for this part's results (then eval merge)");
  }
  // A wrong or ambiguous --model is named first (resolving reads no weights), then what FID needs.
  resolveModel(f.model);
  const inception = f.fid ? inceptionSpec(f.inception) : undefined;
  // Say what FID needs before any work starts.
  if (f.fid && (!inception || (!inception.startsWith("random") && !existsSync(inception)))) {
    throw new UsageError(missingInceptionMessage(inception));
  }
  const tok = await tokenizerFromFlags(f as ModelFlags);
  try {
    const bad = new BadImages(!!f.strict);
    const source = await openImageSource(f.data, { shard: f.shard, badImages: bad });
    const limit = intFlag(f.limit, "--limit");
    const total = limit ?? source.count;
    const progress = total ? new Progress("eval", total, f.json) : undefined;
    const o: EvaluateOptions = {
      inception,
      fid: f.fid,
      protocol: f.protocol,
      batchSize: intFlag(f.batchSize, "--batch-size"),
      limit,
      curve: f.curve,
      adaptive: adaptiveOption(f),
      params: familyParams(tok.model.plugin, f as unknown as FamilyFlags),
      workers: intFlag(f.workers, "--workers"),
      session: { device: f.device, threads: intFlag(f.threads, "--threads") },
      onProgress: (n) => progress?.update(Math.min(n, total!)),
    };
    const ctx: ReportContext = {
      model: f.model,
      family: tok.info.family,
      variant: tok.info.variant,
      data: f.data,
      randomWeights: tok.randomWeights,
      // Only when not fp32, so fp32 runs' metrics.json are as before; parts of other precisions do not merge.
      precision: f.precision && f.precision !== "fp32" ? f.precision : undefined,
      inception,
      inceptionWarning: inception ? inceptionFileWarning(inception) : undefined,
      shard: f.shard,
      limit,
      // Filled as the run meets them (the same array): counted in metrics.json and the report.
      badImages: bad.skipped,
    };
    if (!f.shard) return await finish(await evaluateTokenizer(tok, source, o), ctx, f);
    // A part of a sharded run: save the mergeable state.
    const features = f.fid
      ? await InceptionFeatures.create(inception, {
        ...o.session,
        protocol: f.protocol ?? familyProtocol(tok.model.plugin.evalProtocol).fid,
      })
      : undefined;
    try {
      const { state, samples } = await accumulateEvaluation(tok, source, o, features);
      const meta: EvaluationMeta = {
        ...ctx,
        protocol: describeProtocol(
          tok.model.plugin.evalProtocol,
          tok.info.imageSize,
          o,
          f.fid,
          tok.model.plugin.inputTransform,
        ),
      };
      saveEvaluationState(outDir(f.out), state, samples, meta);
      await releaseState(state);
      if (!f.json) {
        console.error(
          `wrote part ${f.shard} (${state.images} images) to ${f.out}; join the parts with tok1d eval merge`,
        );
      } else console.log(JSON.stringify({ out: f.out, shard: f.shard, images: state.images }, null, 2));
    } finally {
      await features?.release();
    }
  } finally {
    await tok.release();
  }
}

async function mergeAction(
  parts: string[],
  f: { report?: string; saveStats?: string; json?: boolean; threads?: string },
) {
  if (parts.length && isVideoPart(parts[0])) return mergeVideoParts(parts, f);
  const start = performance.now();
  const { state, samples, meta } = loadEvaluationStates(parts);
  const summary = await summarise(state, { threads: intFlag(f.threads, "--threads") });
  const { shard: _, protocol, ...ctx } = meta as EvaluationMeta & ReportContext & {
    protocol: Evaluation["protocol"];
  };
  const e: Evaluation = { ...summary, protocol, samples, seconds: (performance.now() - start) / 1000 };
  await finish(e, { ...ctx, data: `${ctx.data} (${parts.length} parts merged)` }, f);
}

/** The `eval` command and its `merge` subcommand. */
export function evalCommand(): Command {
  const cmd = new Command("eval")
    .description(
      "reconstruction quality: rFID (upstream protocol), PSNR, SSIM, codebook usage; --report HTML",
    )
    // --model and --data are checked in the action: `eval merge` must parse without them.
    .option("--model <spec>", "HF-style folder, config file, preset (titok/s128) or 'default' (required)")
    .option("--weights <path>", "checkpoint: HF folder, .safetensors, .bin/.pth/.ckpt")
    .option("--random", "use seeded random weights (tests, benchmarks)")
    .option("--seed <n>", "seed for --random")
    .option(
      "--data <spec>",
      "image folder, class tree, webdataset shard(s) or brace pattern; or videos (required)",
    )
    .option("--fps <n>", "videos: frames per second sampled (default 24)")
    .option("--limit <n>", "evaluate the first n images")
    .option(
      "--inception <file>",
      "Inception weights pt_inception-2015-12-05-6726825d.pth (default $TOK1D_INCEPTION)",
    )
    .option("--no-fid", "skip rFID (no Inception weights needed)")
    .addOption(
      new Option("--protocol <name>", "override the family's FID front end").choices(
        Object.keys(FID_PROTOCOLS),
      ),
    )
    .option("--no-curve", "skip the quality-against-token-budget curve (families with several budgets)")
    .option(
      "--adaptive",
      "evaluate the family's adaptive encode (per-image token counts; a histogram in the report)",
    )
    .option("--threshold <x>", "quality threshold of --adaptive (ALIT: L1)")
    .option("--report <dir>", "write metrics.json, grid PNGs and report.html here")
    .option("--save-stats <dir>", "also write the real.npz / fake.npz FID statistics here")
    .option("--shard <K/N>", "evaluate part K of N; needs --out; join with eval merge")
    .option("--out <dir>", "with --shard: folder for this part's results")
    .addOption(new Option("--device <name>", "execution provider").choices([...DEVICES]).default("cpu"))
    .option("--threads <n>", "intra-op threads (default: all cores)")
    .addOption(precisionOption())
    .addOption(calibrateOption())
    .option("--batch-size <n>", "images per batch", "16")
    .option("--workers <n>", "image decoding threads (default: decode on the main thread)")
    .option("--strict", STRICT_HELP)
    .option("--json", "machine-readable output on stdout")
    .action(evalAction);
  addFamilyOptions(cmd);
  // --report, --save-stats, --threads and --json are the parent's (commander parses them anywhere on the line).
  cmd.command("merge").description(
    "join the parts of eval --shard runs (exact statistics merge); takes --report, --json",
  )
    .argument("<parts...>", "the --out folders of the parts")
    .action((parts: string[], _: unknown, c: Command) => mergeAction(parts, c.optsWithGlobals()));
  return cmd;
}
