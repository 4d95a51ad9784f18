/**
 * Reconstruction quality of a tokenizer over a dataset, with each family's
 * upstream protocol: rFID between the originals and the reconstructions, PSNR,
 * SSIM and codebook usage, in one streaming pass (constant memory in the image
 * count). Reconstructions are clamped to [0, 1] and rounded to 8 bits as
 * TiTok's evaluator does (what a saved PNG holds) before any metric sees them.
 *
 * The same pass draws the quality-against-token-count curve at every token
 * budget the family declares (`info.budgets`): prefix families (MARVEL's
 * depths) truncate the full tokens with their plugin's `truncate`, others
 * encode again at the budget (ALIT's per-length encoders).
 *
 * Everything that accumulates ({@link EvaluationState}) merges across
 * `--shard K/N` runs.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer("titok/s128", { weights: "tokenizer_titok_s128.bin" });
 * const data = await openImageSource("imagenet/val");
 * const r = await evaluateTokenizer(tok, data, { inception: "pt_inception-2015-12-05-6726825d.pth", limit: 1000 });
 * console.log(r.rfid?.fid, r.psnr, r.ssim, r.codebook?.usage);
 * ```
 * @module
 */
import type { ImageSource } from "../data/reader.ts";
import { UsageError } from "../errors.ts";
import type { SessionOptions } from "../runtime/mod.ts";
import type { Tensor } from "../tensor.ts";
import type { Tokenizer } from "../tokenizer.ts";
import { tokenCounts, type Tokens } from "../tokens.ts";
import { CodebookUsage } from "./codebook.ts";
import { InceptionFeatures } from "./features.ts";
import { FeatureStatistics, type FidStatistics } from "./fid_stats.ts";
import { frechetDistance, type FrechetResult } from "./frechet.ts";
import { FEATURE_DIM } from "./inception.ts";
import { describeProtocol, familyProtocol, quantize8bit } from "./eval_protocol.ts";

export { describeProtocol, type FamilyProtocol, familyProtocol, quantize8bit } from "./eval_protocol.ts";
export type {
  CurvePoint,
  EvaluateOptions,
  Evaluation,
  EvaluationSamples,
  EvaluationState,
  PerImageRow,
  PointState,
} from "./eval_types.ts";
import type {
  CurvePoint,
  EvaluateOptions,
  Evaluation,
  EvaluationSamples,
  EvaluationState,
} from "./eval_types.ts";
import { psnr } from "./psnr.ts";
import { l1PerItem } from "./l1.ts";
import { ssim } from "./ssim.ts";

function keep(samples: Tensor | undefined, batch: Tensor, max: number): Tensor {
  const have = samples?.shape[0] ?? 0, take = Math.min(max - have, batch.shape[0]);
  if (take <= 0) return samples!;
  const per = batch.data.length / batch.shape[0];
  const data = new Float32Array((have + take) * per);
  if (samples) data.set(samples.data as Float32Array);
  data.set((batch.data as Float32Array).subarray(0, take * per), have * per);
  return { dtype: "float32", shape: [have + take, ...batch.shape.slice(1)], data };
}

/**
 * Runs the evaluation pass and returns the accumulated state plus the first
 * images (what a `--shard K/N` run saves for merging).
 */
export async function accumulateEvaluation(
  tok: Tokenizer,
  source: ImageSource,
  o: EvaluateOptions,
  features?: InceptionFeatures,
): Promise<{ state: EvaluationState; samples: EvaluationSamples }> {
  const info = tok.info;
  const plugin = tok.model.plugin;
  // Only a requested --sample is refused: ALIT over its KL VAE samples the posterior in every encode, as
  // upstream does (its program feeds seeded noise), so its encode graph has a `noise` input regardless.
  if (tok.samplesPosterior) throw new UsageError("eval uses the posterior mean: drop --sample");
  const budgets = o.curve === false && !o.adaptive
    ? [info.tokensPerItem]
    : o.curve === false
    ? []
    : info.budgets;
  if (o.adaptive && !tok.programs.encodeAdaptive) {
    throw new UsageError(`--adaptive: ${info.family} has no adaptive encode`);
  }
  const protocol = familyProtocol(plugin.evalProtocol);
  const stats = () => features ? new FeatureStatistics(FEATURE_DIM, o.session) : undefined;
  const state: EvaluationState = {
    images: 0,
    real: stats(),
    points: [
      ...budgets.map((b) => ({ tokensPerImage: b, psnrSum: 0, ssimSum: 0, l1Sum: 0, fake: stats() })),
      ...(o.adaptive
        ? [{ tokensPerImage: 0, tokenSum: 0, psnrSum: 0, ssimSum: 0, l1Sum: 0, fake: stats() }]
        : []),
    ],
    lengths: o.adaptive ? {} : undefined,
    perImage: [],
    codebook: info.vocabulary && (info.tokenDtype === "int64" || info.tokenDtype === "int32")
      ? new CodebookUsage(info.vocabulary)
      : undefined,
  };
  const max = o.samples ?? 8;
  let originals: Tensor | undefined;
  const reconstructions: (Tensor | undefined)[] = state.points.map(() => undefined);
  const batches = source.batches(o.batchSize ?? 16, {
    size: info.imageSize,
    resize: o.resize ?? protocol.resize,
    crop: "center",
    ...plugin.inputTransform,
    workers: o.workers,
  });
  for await (const { images: all, sources } of batches) {
    const room = o.limit === undefined ? all.shape[0] : Math.min(all.shape[0], o.limit - state.images);
    if (room <= 0) break;
    const images = room === all.shape[0] ? all : keep(undefined, all, room) as Tensor<"float32">;
    const params = o.params;
    // The main reconstruction: the adaptive encode's, or the full budget's.
    let rec: { tokens: Tokens; images: Tensor };
    if (o.adaptive) {
      const tokens = await tok.encodeAdaptive(images, { threshold: o.adaptive.threshold, params });
      rec = { tokens, images: await tok.decode(tokens) };
      const counts = tokenCounts(tokens, info.tokensPerItem);
      for (const c of counts) state.lengths![c] = (state.lengths![c] ?? 0) + 1;
      state.points.at(-1)!.tokenSum! += counts.reduce((a, v) => a + v, 0);
    } else rec = await tok.reconstruct(images, { params });
    state.codebook?.add(rec.tokens.tokens);
    await state.real?.add(await features!.extract(images));
    const last = state.points.length - 1;
    for (const [i, point] of state.points.entries()) {
      let raw = rec.images;
      if (i < last || (o.adaptive && point.tokenSum === undefined)) {
        const b = point.tokensPerImage;
        const tokens = plugin.truncate
          ? plugin.truncate(rec.tokens, b, info)
          : await tok.encode(images, { budget: b, params });
        raw = await tok.decode(tokens);
      }
      const fake = quantize8bit(raw);
      const scores = { psnr: psnr(images, fake), ssim: ssim(images, fake), l1: l1PerItem(images, fake) };
      point.psnrSum += scores.psnr.reduce((a, v) => a + v, 0);
      point.ssimSum += scores.ssim.reduce((a, v) => a + v, 0);
      point.l1Sum += scores.l1.reduce((a, v) => a + v, 0);
      if (i === last) {
        const counts = tokenCounts(rec.tokens, info.tokensPerItem);
        for (let j = 0; j < images.shape[0]; j++) {
          state.perImage.push({
            source: sources[j],
            psnr: scores.psnr[j],
            ssim: scores.ssim[j],
            l1: scores.l1[j],
            tokens: counts[j],
          });
        }
      }
      await point.fake?.add(await features!.extract(fake));
      reconstructions[i] = keep(reconstructions[i], fake, max);
    }
    originals = keep(originals, images, max);
    state.images += images.shape[0];
    o.onProgress?.(state.images, o.limit ?? source.count);
    if (o.limit !== undefined && state.images >= o.limit) break;
  }
  if (!state.images || !originals) throw new UsageError("eval: the data source yielded no images");
  // state.perImage is still in evaluation order here, so its first rows are the kept samples'.
  const sources = state.perImage.slice(0, originals?.shape[0] ?? 0).map((r) => r.source);
  return { state, samples: { originals, reconstructions: reconstructions as Tensor[], sources } };
}

/** Frees the statistics sessions of a state. */
export async function releaseState(state: EvaluationState): Promise<void> {
  await state.real?.release();
  for (const p of state.points) await p.fake?.release();
}

/** Turns accumulated state into metrics (FID from the merged statistics). */
export async function summarise(state: EvaluationState, session: SessionOptions = {}) {
  const n = state.images;
  const real = state.real && n >= 2 ? state.real.result() : undefined;
  const curve: CurvePoint[] = [];
  let rfid: FrechetResult | undefined, fake: FidStatistics | undefined;
  for (const p of state.points) {
    const point: CurvePoint = {
      tokensPerImage: p.tokenSum === undefined ? p.tokensPerImage : p.tokenSum / n,
      psnr: p.psnrSum / n,
      ssim: p.ssimSum / n,
      l1: p.l1Sum / n,
      ...(p.tokenSum === undefined ? {} : { adaptive: true }),
    };
    if (real && p.fake) {
      fake = p.fake.result();
      rfid = await frechetDistance(real, fake, {
        threads: session.threads,
        names: ["the originals", "the reconstructions"],
      });
      // A near-constant feature set gives a number that means nothing: no curve point, a warning instead.
      if (!rfid.degenerate) point.rfid = rfid.fid;
    }
    curve.push(point);
  }
  const last = curve.at(-1)!;
  return {
    images: n,
    tokensPerImage: last.tokensPerImage,
    psnr: last.psnr,
    ssim: last.ssim,
    l1: last.l1,
    lengths: state.lengths,
    // Worst first: what a user looks at.
    perImage: [...state.perImage].sort((a, b) => a.psnr - b.psnr),
    rfid,
    codebook: state.codebook?.result(),
    curve: curve.length > 1 ? curve : undefined,
    statistics: real && fake ? { real, fake } : undefined,
  };
}

/** Evaluates a tokenizer on a dataset (see the module doc for the protocol). */
export async function evaluateTokenizer(
  tok: Tokenizer,
  source: ImageSource,
  o: EvaluateOptions = {},
): Promise<Evaluation> {
  const start = performance.now();
  const protocol = familyProtocol(tok.model.plugin.evalProtocol);
  const fidProtocol = o.protocol ?? protocol.fid;
  const features = o.fid === false
    ? undefined
    : await InceptionFeatures.create(o.inception, { ...o.session, protocol: fidProtocol });
  try {
    const { state, samples } = await accumulateEvaluation(tok, source, o, features);
    const summary = await summarise(state, o.session);
    await releaseState(state);
    return {
      ...summary,
      protocol: describeProtocol(
        tok.model.plugin.evalProtocol,
        tok.info.imageSize,
        o,
        !!features,
        tok.model.plugin.inputTransform,
      ),
      samples,
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    await features?.release();
  }
}
