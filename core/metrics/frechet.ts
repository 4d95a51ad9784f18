/**
 * The Fréchet distance between two Gaussians, in float64:
 * `‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr √(Σ₁Σ₂)`.
 *
 * The square-root term avoids the non-symmetric `sqrtm(Σ₁Σ₂)` of
 * pytorch-fid: with `Σ₁ = L Lᵀ` (pivoted Cholesky, which also handles
 * rank-deficient covariances), `Σ₁Σ₂` has the eigenvalues of the symmetric
 * positive semi-definite `Lᵀ Σ₂ L` (plus zeros), so
 * `tr √(Σ₁Σ₂) = Σᵢ √λᵢ(Lᵀ Σ₂ L)` — two symmetric problems, all O(n³) work on
 * ONNX Runtime. As in pytorch-fid, when the result is not finite both
 * covariances get `eps · I` added and the computation is repeated.
 *
 * @example
 * ```ts
 * const a = { mu: Float64Array.of(0, 0), sigma: Float64Array.of(1, 0, 0, 1) };
 * const b = { mu: Float64Array.of(1, 0), sigma: Float64Array.of(4, 0, 0, 1) };
 * (await frechetDistance(a, b)).fid; // 1 + (1 + 4 + 1 + 1) − 2·(2 + 1) = 2
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";
import { pivotedCholesky } from "./cholesky.ts";
import { degenerateFeatures } from "./fid_checks.ts";
import { symmetricEigenvalues } from "./eigen.ts";
import { Float64Kernels, type Matrix } from "./linalg.ts";

/** Mean and covariance of a feature set (`sigma` row-major d × d). */
export interface Gaussian {
  mu: Float64Array;
  sigma: Float64Array;
}

/** The terms of a Fréchet distance. */
export interface FrechetResult {
  fid: number;
  /** ‖μ₁ − μ₂‖². */
  meanTerm: number;
  traceA: number;
  traceB: number;
  /** tr √(Σ₁Σ₂). */
  traceSqrt: number;
  /** The diagonal offset used (0 unless the first attempt was not finite). */
  offset: number;
  /** Set when the features are near-constant (fid_checks.ts): the value then means nothing. */
  degenerate?: string;
}

/** Options of {@link frechetDistance}. */
export interface FrechetOptions {
  /** Diagonal offset for the retry (pytorch-fid's default 1e-6). */
  eps?: number;
  /** Names of the two collections in the near-constant message (default "first", "second"). */
  names?: [string, string];
  /** Kernels to reuse (otherwise made and released here). */
  kernels?: Float64Kernels;
  threads?: number;
}

/**
 * Averages a square matrix with its transpose in place (GEMM round-off leaves `Lᵀ Σ₂ L` slightly
 * asymmetric; the eigenvalue code reads one triangle on the host and the whole matrix on ORT).
 * Works in 64×64 tiles so that the transposed reads stay in cache.
 */
export function symmetrise(m: Matrix): void {
  const n = m.rows, a = m.data, tile = 64;
  for (let bi = 0; bi < n; bi += tile) {
    for (let bj = 0; bj <= bi; bj += tile) {
      for (let i = bi; i < Math.min(bi + tile, n); i++) {
        for (let j = bj; j < Math.min(bj + tile, i); j++) {
          const v = 0.5 * (a[i * n + j] + a[j * n + i]);
          a[i * n + j] = a[j * n + i] = v;
        }
      }
    }
  }
}

/** `tr √(Σ₁Σ₂)` for symmetric positive semi-definite d × d matrices. */
export async function traceSqrtProduct(s1: Matrix, s2: Matrix, kernels: Float64Kernels): Promise<number> {
  const { l, rank } = await pivotedCholesky(s1, kernels);
  if (rank === 0) return 0;
  const m = await kernels.sandwich(l, s2);
  symmetrise(m);
  const eig = await symmetricEigenvalues(m, kernels);
  let sum = 0;
  for (const v of eig) if (v > 0) sum += Math.sqrt(v);
  return sum;
}

/** The covariance as a matrix, with `eps` added to its diagonal (a copy only then). */
function withOffset(s: Float64Array, d: number, eps: number): Matrix {
  if (eps === 0) return { rows: d, cols: d, data: s };
  const data = Float64Array.from(s);
  for (let i = 0; i < d; i++) data[i * d + i] += eps;
  return { rows: d, cols: d, data };
}

/** Fréchet distance between two Gaussians of the same dimension. */
export async function frechetDistance(
  a: Gaussian,
  b: Gaussian,
  options: FrechetOptions = {},
): Promise<FrechetResult> {
  const d = a.mu.length;
  if (b.mu.length !== d || a.sigma.length !== d * d || b.sigma.length !== d * d) {
    throw new UsageError(
      `Fréchet distance: dimensions differ (means ${a.mu.length} and ${b.mu.length}, ` +
        `covariances ${a.sigma.length} and ${b.sigma.length} entries)`,
    );
  }
  let meanTerm = 0, traceA = 0, traceB = 0;
  for (let i = 0; i < d; i++) {
    meanTerm += (a.mu[i] - b.mu[i]) ** 2;
    traceA += a.sigma[i * d + i];
    traceB += b.sigma[i * d + i];
  }
  const kernels = options.kernels ?? new Float64Kernels({ threads: options.threads });
  try {
    let offset = 0;
    let traceSqrt = await traceSqrtProduct(withOffset(a.sigma, d, 0), withOffset(b.sigma, d, 0), kernels);
    if (!Number.isFinite(traceSqrt)) {
      offset = options.eps ?? 1e-6;
      console.error(
        `fid calculation produces singular product; adding ${offset} to diagonal of cov estimates`,
      );
      traceSqrt = await traceSqrtProduct(
        withOffset(a.sigma, d, offset),
        withOffset(b.sigma, d, offset),
        kernels,
      );
    }
    const fid = meanTerm + traceA + traceB - 2 * traceSqrt;
    const degenerate = degenerateFeatures(a, b, options.names);
    return { fid, meanTerm, traceA, traceB, traceSqrt, offset, ...(degenerate ? { degenerate } : {}) };
  } finally {
    if (!options.kernels) await kernels.release();
  }
}
