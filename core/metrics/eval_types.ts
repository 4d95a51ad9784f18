/**
 * The types of an evaluation (core/metrics/evaluate.ts): its options, the
 * sums that accumulate and merge across `--shard K/N` parts, and the result.
 *
 * @example
 * ```ts
 * const o: EvaluateOptions = { fid: false, curve: true, adaptive: { threshold: 0.07 } };
 * ```
 * @module
 */
import type { SessionOptions } from "../runtime/mod.ts";
import type { Tensor } from "../tensor.ts";
import type { CodebookReport, CodebookUsage } from "./codebook.ts";
import type { FeatureStatistics, FidStatistics } from "./fid_stats.ts";
import type { FrechetResult } from "./frechet.ts";
import type { FidProtocol } from "./inception.ts";

/** Options of {@link evaluateTokenizer}. */
export interface EvaluateOptions {
  /** Inception weights (file or `random[:seed]`); required unless `fid` is false. */
  inception?: string;
  /** Compute rFID (default true). */
  fid?: boolean;
  /** Override the family's FID front end. */
  protocol?: FidProtocol;
  /** Override the family's resize rule. */
  resize?: "shorter" | "none";
  /** Images per batch (default 16). */
  batchSize?: number;
  /** Stop after this many images. */
  limit?: number;
  /** Quality at every token budget of the family (default true). */
  curve?: boolean;
  /** Also evaluate the family's adaptive encode at this threshold (the last, main point). */
  adaptive?: { threshold: number };
  /** Family options for the encode programs (e.g. ALIT's halting). */
  params?: Record<string, unknown>;
  /** Images kept for the reconstruction grids (default 8). */
  samples?: number;
  /** Device and threads for Inception and the statistics. */
  session?: SessionOptions;
  /** Decoding threads of the dataset reader. */
  workers?: number;
  onProgress?: (done: number, total?: number) => void;
}

/** Sums that merge across shards (one entry per curve point; the last is the full token set). */
export interface PointState {
  /** The budget; for the adaptive point, the running mean (tokenSum / images). */
  tokensPerImage: number;
  psnrSum: number;
  ssimSum: number;
  /** Σ over images of mean |reconstruction − image| (in [0,1], 8-bit reconstructions). */
  l1Sum: number;
  /** The adaptive point: Σ of each image's token count. */
  tokenSum?: number;
  fake?: FeatureStatistics;
}

/** Everything an evaluation accumulates. */
export interface EvaluationState {
  images: number;
  real?: FeatureStatistics;
  points: PointState[];
  codebook?: CodebookUsage;
  /** Adaptive encode: how many images got each token count. */
  lengths?: Record<string, number>;
  /** Each image's scores at the main point, in input order. */
  perImage: PerImageRow[];
}

/** One image's result at the main point. */
export interface PerImageRow {
  source: string;
  psnr: number;
  ssim: number;
  l1: number;
  tokens: number;
}

/** One point of the quality-against-token-count curve. */
export interface CurvePoint {
  tokensPerImage: number;
  psnr: number;
  ssim: number;
  l1: number;
  rfid?: number;
  /** The adaptive encode's point (tokensPerImage is the mean count). */
  adaptive?: boolean;
}

/** The result of {@link evaluateTokenizer}. */
export interface Evaluation {
  images: number;
  tokensPerImage: number;
  psnr: number;
  ssim: number;
  rfid?: FrechetResult;
  codebook?: CodebookReport;
  /** Quality at each token budget (families with several), fewest tokens first; the adaptive point last. */
  curve?: CurvePoint[];
  /** Adaptive encode: images per token count. */
  lengths?: Record<string, number>;
  /** Mean |reconstruction − image| of the main point. */
  l1: number;
  /** Each image at the main point, lowest PSNR first. */
  perImage: PerImageRow[];
  protocol: { fid?: string; transform: string; reconstruction: string; source: string };
  /** The first images and their reconstructions (for grids). */
  samples: EvaluationSamples;
  /** FID statistics (real, and fake for the full token set), e.g. to save. */
  statistics?: { real: FidStatistics; fake: FidStatistics };
  seconds: number;
}

/** Kept images: originals and their reconstructions at each curve point. */
export interface EvaluationSamples {
  originals: Tensor;
  reconstructions: Tensor[];
  /** Where each kept original came from (grid captions), when known. */
  sources?: string[];
}
