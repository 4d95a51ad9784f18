/**
 * Codebook statistics of discrete tokens, accumulated over any number of
 * batches (and mergeable across shards) as a histogram of code indices:
 *
 * - `usage`: fraction of codes used at least once (TiTok's evaluator,
 *   `len(set(indices)) / codebook_size`); `usagePercent` is the same as
 *   BDD-1D's `compute_codebook_usage.py` prints it (`100 · non-empty bins / n_e`);
 * - `entropyBits`: TiTok's `−Σ p log₂(p + 1e-8)` over the histogram;
 * - `perplexity`: `2^H` with the exact entropy `H = −Σ p log₂ p`.
 *
 * Multi-index tokens (MARVEL's depths) are pooled, as MARVEL's evaluator does.
 *
 * @example
 * ```ts
 * const usage = new CodebookUsage(4);
 * usage.add({ dtype: "int64", shape: [1, 1, 4], data: BigInt64Array.of(0n, 0n, 1n, 3n) });
 * usage.result(); // usage 0.75, entropyBits ≈ 1.5, perplexity ≈ 2.83
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";

/** What {@link CodebookUsage.result} reports. */
export interface CodebookReport {
  vocabulary: number;
  /** Number of indices counted. */
  tokens: number;
  /** Codes used at least once. */
  used: number;
  usage: number;
  usagePercent: number;
  entropyBits: number;
  perplexity: number;
}

/** A histogram of code indices. */
export class CodebookUsage {
  readonly counts: Float64Array;
  constructor(readonly vocabulary: number) {
    if (!Number.isInteger(vocabulary) || vocabulary <= 0) {
      throw new UsageError(`codebook size must be a positive integer, got ${vocabulary}`);
    }
    this.counts = new Float64Array(vocabulary);
  }

  /** Counts every index of an integer token tensor. */
  add(tokens: Tensor): void {
    if (tokens.dtype !== "int64" && tokens.dtype !== "int32") {
      throw new UsageError(`codebook usage needs integer tokens, got ${tokens.dtype}`);
    }
    const data = tokens.data as ArrayLike<number | bigint>;
    for (let i = 0; i < data.length; i++) {
      const v = Number(data[i]);
      if (v === -1) continue; // not sent (past an item's length, an absent depth)
      if (!(v >= 0 && v < this.vocabulary)) {
        throw new UsageError(`token ${v} is outside the codebook [0, ${this.vocabulary})`);
      }
      this.counts[v]++;
    }
  }

  /** Adds another histogram (a shard's). */
  merge(counts: ArrayLike<number>): void {
    if (counts.length !== this.vocabulary) {
      throw new UsageError(`codebook histograms differ in size: ${counts.length} vs ${this.vocabulary}`);
    }
    for (let i = 0; i < counts.length; i++) this.counts[i] += counts[i];
  }

  /** The usage and entropy of everything counted so far. */
  result(): CodebookReport {
    let tokens = 0, used = 0;
    for (const c of this.counts) {
      tokens += c;
      if (c > 0) used++;
    }
    let titok = 0, exact = 0;
    for (const c of this.counts) {
      const p = tokens ? c / tokens : 0;
      titok -= p * Math.log2(p + 1e-8);
      if (p > 0) exact -= p * Math.log2(p);
    }
    return {
      vocabulary: this.vocabulary,
      tokens,
      used,
      usage: used / this.vocabulary,
      usagePercent: (100 * used) / this.vocabulary,
      entropyBits: titok,
      perplexity: 2 ** exact,
    };
  }
}
