/**
 * Streaming feature statistics for FID in constant memory: each batch's mean
 * and scatter matrix `(X − x̄)ᵀ(X − x̄)` come from one float64 ORT graph, and
 * batches (or whole shards) are merged with Chan et al.'s pairwise update
 * `M = M_a + M_b + δδᵀ · n_a n_b / n`. Centring each batch before its Gram
 * product keeps the sums well conditioned (a raw `Σ x xᵀ − n x̄ x̄ᵀ` loses
 * digits when the mean is large against the spread). The covariance is
 * `M / (n − 1)`, numpy's `np.cov(rowvar=False)`.
 *
 * @example
 * ```ts
 * const acc = new FeatureStatistics(2048);
 * await acc.add(featuresOfBatch1); // float32 or float64 [B, 2048]
 * await acc.add(featuresOfBatch2);
 * const { mu, sigma } = acc.result();
 * await acc.release();
 * ```
 * @module
 */
import { Graph } from "../graph/graph.ts";
import { cast, matmul, reduceMean, sub, transpose } from "../ops/mod.ts";
import { Session, type SessionOptions } from "../runtime/mod.ts";
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import type { Gaussian } from "./frechet.ts";

/** Mean, covariance and the image count they come from (what an FID statistics file holds). */
export interface FidStatistics extends Gaussian {
  count: number;
}

function batchGraph(dtype: "float32" | "float64"): Graph {
  const g = new Graph(`batch_scatter_${dtype}`);
  const x0 = g.input("x", dtype, ["b", "d"]);
  const x = dtype === "float64" ? x0 : cast(g, x0, "float64");
  const mean = reduceMean(g, x, [0], true);
  const centred = sub(g, x, mean);
  g.output(mean, "mean");
  g.output(matmul(g, transpose(g, centred, [1, 0]), centred), "scatter");
  return g;
}

/** Running mean and scatter matrix of d-dimensional features. */
export class FeatureStatistics {
  count = 0;
  readonly mean: Float64Array;
  /** Σ (x − mean)(x − mean)ᵀ, row-major d × d. */
  readonly scatter: Float64Array;
  private readonly sessions = new Map<string, Promise<Session>>();

  constructor(readonly dim: number, private readonly options: SessionOptions = {}) {
    this.mean = new Float64Array(dim);
    this.scatter = new Float64Array(dim * dim);
  }

  /** Adds a batch of features, float32 or float64 `[B, d]`. */
  async add(features: Tensor): Promise<void> {
    const [b, d] = features.shape;
    if (
      features.shape.length !== 2 || d !== this.dim ||
      (features.dtype !== "float32" && features.dtype !== "float64")
    ) {
      throw new UsageError(
        `features: expected float (B, ${this.dim}), got ${features.dtype} (${features.shape})`,
      );
    }
    if (b === 0) return;
    const dtype = features.dtype;
    let s = this.sessions.get(dtype);
    if (!s) this.sessions.set(dtype, s = Session.create(batchGraph(dtype), new Map(), this.options));
    const r = await (await s).run({ x: features });
    this.merge(b, r.mean.data as Float64Array, r.scatter.data as Float64Array);
  }

  /** Merges a partial result: `count` samples with their mean and scatter matrix. */
  merge(count: number, mean: Float64Array, scatter: Float64Array): void {
    if (count === 0) return;
    if (mean.length !== this.dim || scatter.length !== this.dim * this.dim) {
      throw new UsageError(`statistics: dimension ${mean.length} does not match ${this.dim}`);
    }
    const n = this.count + count, d = this.dim;
    const delta = new Float64Array(d);
    for (let i = 0; i < d; i++) delta[i] = mean[i] - this.mean[i];
    const w = (this.count * count) / n;
    for (let i = 0; i < d; i++) {
      const wi = w * delta[i], row = i * d;
      for (let j = 0; j < d; j++) this.scatter[row + j] += scatter[row + j] + wi * delta[j];
    }
    for (let i = 0; i < d; i++) this.mean[i] += delta[i] * (count / n);
    this.count = n;
  }

  /** Merges saved statistics (mean, covariance and the count they were made from). */
  mergeStatistics(s: FidStatistics): void {
    const scatter = Float64Array.from(s.sigma, (v) => v * (s.count - 1));
    this.merge(s.count, s.mu, scatter);
  }

  /** The mean and the covariance (`n − 1` normalisation, as `np.cov`). */
  result(): FidStatistics {
    if (this.count < 2) {
      throw new UsageError(`FID statistics need at least 2 images, got ${this.count}`);
    }
    const sigma = Float64Array.from(this.scatter, (v) => v / (this.count - 1));
    return { mu: Float64Array.from(this.mean), sigma, count: this.count };
  }

  /** Frees the sessions. */
  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
  }
}
