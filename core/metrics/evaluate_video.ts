/**
 * `tok1d eval` on a video model: clips stream from the videos one batch at a
 * time (core/data/video_clips.ts; a file's clips of F frames, the last padded
 * and its padding never scored), are reconstructed at each point of the
 * curve — the family's budgets (per clip) and, with `adaptive`, its adaptive
 * encode — and scored per frame (PSNR, SSIM, L1 on [0, 1] RGB after 8-bit
 * rounding, as the image evaluation), each clip the mean over its real
 * frames, each point the mean over clips. With `adaptive`, the kept-token
 * count of every block is tallied. No FID: there is no video protocol here.
 *
 * @example
 * ```ts
 * const e = await evaluateVideos(tok, (await openVideoSource(["clips/"]))!, { adaptive: { threshold: 0.003 } });
 * e.curve; // PSNR/SSIM/L1 per budget; e.blockCounts: {kept count: blocks}
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import type { Tokenizer } from "../tokenizer.ts";
import { tokenCounts, type Tokens } from "../tokens.ts";
import type { BadImages } from "../data/bad_images.ts";
import { videoClips } from "../data/video_clips.ts";
import type { VideoSource } from "../data/video_sources.ts";
import type { CurvePoint, EvaluationSamples, PerImageRow } from "./eval_types.ts";
import { quantize8bit } from "./eval_protocol.ts";
import { l1PerItem } from "./l1.ts";
import { psnr } from "./psnr.ts";
import { ssim } from "./ssim.ts";

/** Options of {@link evaluateVideos}. */
export interface VideoEvaluateOptions {
  /** Clips per batch (default 4). */
  batchSize?: number;
  /** Stop after this many clips. */
  limit?: number;
  /** false: only the full budget (or only the adaptive point with `adaptive`). */
  curve?: boolean;
  /**
   * Points to score instead of the family's budgets: tokens per clip (the
   * curve's x) and the family options that encode at it (ElasticTok:
   * `{ tokensPerBlock: n }` for any n, where budgets are powers of two).
   */
  points?: { tokens: number; params: Record<string, unknown> }[];
  adaptive?: { threshold: number };
  params?: Record<string, unknown>;
  /** Frames per second the videos are sampled at (default 24). */
  fps?: number;
  /** The shared bad-input policy: unreadable videos are skipped and counted there (or stop when strict). */
  badImages?: BadImages;
  onProgress?: (clips: number) => void;
}

/** What {@link evaluateVideos} returns (the image evaluation's fields where they apply). */
export interface VideoEvaluation {
  /** Videos scored (each gave one clip or more). */
  videos: number;
  clips: number;
  /** Real frames scored (per point). */
  frames: number;
  tokensPerImage: number;
  psnr: number;
  ssim: number;
  l1: number;
  curve?: CurvePoint[];
  /** Adaptive encode: blocks per kept-token count. */
  blockCounts?: Record<number, number>;
  /** Per clip at the main point (adaptive, else full budget), worst PSNR first. */
  perImage: PerImageRow[];
  /** The first frames of the first clips and their reconstructions at each point, for grids. */
  samples: EvaluationSamples;
  seconds: number;
}

/** One point of the curve as sums over clips (mergeable across `--shard` parts). */
export interface VideoPointSums {
  /** Tokens per clip (0 for the adaptive point, whose mean is `tokenSum / clips`). */
  tokens: number;
  params?: Record<string, unknown>;
  /** Adaptive point: kept tokens summed over clips. */
  tokenSum?: number;
  psnr: number;
  ssim: number;
  l1: number;
}

/** Sums of a video evaluation, before the means: what a `--shard` part saves and `eval merge` adds up. */
export interface VideoEvaluationState {
  videos: number;
  clips: number;
  frames: number;
  points: VideoPointSums[];
  blockCounts?: Record<number, number>;
  perImage: PerImageRow[];
}

/** Real frames of each clip as one (ΣF, 3, H, W) batch. */
function realFrames(v: Tensor, frames: number[]): Tensor<"float32"> {
  const [, f, c, h, w] = v.shape;
  const per = c * h * w;
  const out = new Float32Array(frames.reduce((a, n) => a + n, 0) * per);
  let at = 0;
  frames.forEach((n, i) => {
    out.set((v.data as Float32Array).subarray(i * f * per, (i * f + n) * per), at);
    at += n * per;
  });
  return { dtype: "float32", shape: [at / per, c, h, w], data: out };
}

/** Per-clip means of per-frame scores. */
function perClip(scores: ArrayLike<number>, frames: number[]): number[] {
  let at = 0;
  return frames.map((n) => {
    let s = 0;
    for (let k = 0; k < n; k++) s += scores[at + k];
    at += n;
    return s / n;
  });
}

/** Evaluates a video tokenizer on the clips of `source` (see the module doc). */
export async function evaluateVideos(
  tok: Tokenizer,
  source: VideoSource,
  o: VideoEvaluateOptions = {},
): Promise<VideoEvaluation> {
  const start = performance.now();
  const { state, samples } = await accumulateVideos(tok, source, o);
  if (!state.clips) throw new UsageError("eval: the videos yielded no clips");
  return summariseVideos(state, samples, (performance.now() - start) / 1000);
}

/** The sums of {@link evaluateVideos} (a part of a `--shard` run may score no clip) and its sample frames. */
export async function accumulateVideos(
  tok: Tokenizer,
  source: VideoSource,
  o: VideoEvaluateOptions = {},
): Promise<{ state: VideoEvaluationState; samples: EvaluationSamples }> {
  const info = tok.info;
  if (info.input.kind !== "video") throw new UsageError(`${info.variant}: not a video model`);
  if (o.adaptive && !tok.programs.encodeAdaptive) {
    throw new UsageError(`--adaptive: ${info.family} has no adaptive encode`);
  }
  const budgets = o.curve === false ? (o.adaptive ? [] : [info.tokensPerItem]) : info.budgets;
  const points: VideoPointSums[] = [
    ...(o.points ?? budgets.map((b) => ({ tokens: b, params: undefined })))
      .map((b) => ({ ...b, psnr: 0, ssim: 0, l1: 0 })),
    ...(o.adaptive ? [{ tokens: 0, tokenSum: 0, psnr: 0, ssim: 0, l1: 0 }] : []),
  ];
  if (!points.length) throw new UsageError("eval: nothing to score (no budget and no --adaptive)");
  const blockCounts: Record<number, number> | undefined = o.adaptive ? {} : undefined;
  const rows: PerImageRow[] = [];
  const samples: EvaluationSamples = { originals: undefined as unknown as Tensor, reconstructions: [] };
  const keepSamples = 8;
  let clips = 0, frames = 0;
  const files = new Set<string>();
  const batches = videoClips(source, {
    size: info.imageSize,
    frames: info.input.frames,
    block: (tok.model.config as { frames_per_block?: number }).frames_per_block,
    fps: o.fps,
    batch: o.batchSize ?? 4,
    transform: tok.model.plugin.inputTransform,
    badImages: o.badImages,
  });
  for await (const b of batches) {
    const take = o.limit === undefined ? b.sources.length : Math.min(b.sources.length, o.limit - clips);
    if (take <= 0) break;
    const real = realFrames(b.video, b.frames.slice(0, take));
    const video: Tensor<"float32"> = take === b.sources.length ? b.video : {
      ...b.video,
      shape: [take, ...b.video.shape.slice(1)],
      data: b.video.data.slice(0, take * (b.video.data.length / b.sources.length)),
    };
    const counts = b.frames.slice(0, take);
    for (const [i, p] of points.entries()) {
      let tokens: Tokens;
      if (p.tokenSum !== undefined) {
        tokens = await tok.encodeAdaptive(video, { threshold: o.adaptive!.threshold, params: o.params });
        for (const row of tokens.blockCounts ?? []) {
          for (const n of row) blockCounts![n] = (blockCounts![n] ?? 0) + 1;
        }
        p.tokenSum += tokenCounts(tokens, info.tokensPerItem).reduce((a, n) => a + n, 0);
      } else if (p.params) tokens = await tok.encode(video, { params: { ...o.params, ...p.params } });
      else tokens = await tok.encode(video, { budget: p.tokens, params: o.params });
      const fake = quantize8bit(realFrames(await tok.decode(tokens), counts));
      const s = { psnr: perClip(psnr(real, fake), counts), ssim: perClip(ssim(real, fake), counts) };
      const l1 = perClip(l1PerItem(real, fake), counts);
      p.psnr += s.psnr.reduce((a, v) => a + v, 0);
      p.ssim += s.ssim.reduce((a, v) => a + v, 0);
      p.l1 += l1.reduce((a, v) => a + v, 0);
      if (i === points.length - 1) {
        const n = tokenCounts(tokens, info.tokensPerItem);
        for (let k = 0; k < take; k++) {
          rows.push({ source: b.sources[k], psnr: s.psnr[k], ssim: s.ssim[k], l1: l1[k], tokens: n[k] });
        }
      }
      if (clips < keepSamples) samples.reconstructions[i] = join(samples.reconstructions[i], fake, counts);
    }
    if (clips < keepSamples) samples.originals = join(samples.originals, real, counts);
    clips += take;
    frames += counts.reduce((a, n) => a + n, 0);
    b.files.slice(0, take).forEach((f) => files.add(f));
    o.onProgress?.(clips);
    if (o.limit !== undefined && clips >= o.limit) break;
  }
  const state = { videos: files.size, clips, frames, points, blockCounts, perImage: rows };
  return { state, samples };
}

/** The means of `state` (see the module doc). */
export function summariseVideos(
  state: VideoEvaluationState,
  samples: EvaluationSamples,
  seconds: number,
): VideoEvaluation {
  const { clips } = state;
  const curve: CurvePoint[] = state.points.map((p) => ({
    tokensPerImage: p.tokenSum === undefined ? p.tokens : p.tokenSum / clips,
    psnr: p.psnr / clips,
    ssim: p.ssim / clips,
    l1: p.l1 / clips,
    ...(p.tokenSum === undefined ? {} : { adaptive: true }),
  }));
  const last = curve.at(-1)!;
  return {
    videos: state.videos,
    clips,
    frames: state.frames,
    tokensPerImage: last.tokensPerImage,
    psnr: last.psnr,
    ssim: last.ssim,
    l1: last.l1,
    curve: curve.length > 1 ? curve : undefined,
    blockCounts: state.blockCounts,
    perImage: [...state.perImage].sort((a, b) => a.psnr - b.psnr),
    samples,
    seconds,
  };
}

/** Appends the first frame of each clip (frames laid out per `counts`) to `acc`. */
function join(acc: Tensor | undefined, frames: Tensor, counts: number[]): Tensor {
  const per = frames.data.length / frames.shape[0];
  const firsts = new Float32Array(counts.length * per);
  let at = 0;
  counts.forEach((n, i) => {
    firsts.set((frames.data as Float32Array).subarray(at * per, (at + 1) * per), i * per);
    at += n;
  });
  const have = acc ? acc.data as Float32Array : new Float32Array(0);
  const data = new Float32Array(have.length + firsts.length);
  data.set(have);
  data.set(firsts, have.length);
  return { dtype: "float32", shape: [data.length / per, ...frames.shape.slice(1)], data };
}
