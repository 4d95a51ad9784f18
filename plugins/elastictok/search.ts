/**
 * ElasticTok's per-block token-count searches (`elastic/inference.py`), as
 * step machines: the program asks each item's search for the count to probe,
 * runs the whole batch once, and reports each item's block MSE back. A
 * search that is done keeps its result.
 *
 * - {@link bisection}: the smallest count n in [min, max] whose MSE is below
 *   the threshold, assuming passing counts form an upper range; it returns a
 *   count that passes and whose predecessor failed (or min). If max fails, the
 *   fallback (upstream's `default_prop_codes`·max_toks).
 * - {@link upstreamBisection}: upstream's `inference_binary` exactly: probe
 *   ⌈(lo+hi)/2⌉, a pass moves the upper end to probe−1, a failure the lower end
 *   to the probe; it reports the **last probe**, which can be one below the
 *   smallest passing count (after a final failing probe). The fallback applies
 *   when every probe's loss was above the threshold.
 * - {@link linearScan}: upstream's `inference_linear`: {@link linearCandidates}
 *   (100 log-spaced counts) in order, the first whose loss is ≤ the threshold;
 *   repeated candidates are probed once.
 *
 * @example
 * ```ts
 * const s = bisection(256, 4096, 0.003, 4096);
 * for (let n = s.next(); n !== undefined; n = s.next()) s.report(await blockMse(n));
 * s.result();
 * ```
 * @module
 */

/** One item's search over the kept count of one block. */
export interface CountSearch {
  /** The count to probe next, or undefined when the search is done. */
  next(): number | undefined;
  /** The loss of the count `next()` returned. */
  report(loss: number): void;
  /** The chosen count (once `next()` returns undefined). */
  result(): number;
}

/** The smallest passing count by bisection (see the module doc). */
export function bisection(min: number, max: number, threshold: number, fallback: number): CountSearch {
  let [lo, hi] = [min, max];
  let hiPasses = false;
  let done: number | undefined;
  let probe = 0;
  return {
    next() {
      if (done !== undefined) return undefined;
      probe = lo < hi ? Math.floor((lo + hi) / 2) : hi;
      return probe;
    },
    report(loss) {
      const pass = loss < threshold;
      if (lo < hi) {
        if (pass) [hi, hiPasses] = [probe, true];
        else lo = probe + 1;
        if (lo === hi && hiPasses) done = hi;
      } else done = pass ? hi : fallback;
    },
    result() {
      if (done === undefined) throw new Error("bisection: not done");
      return done;
    },
  };
}

/** Upstream's `inference_binary` probe sequence and result (see the module doc). */
export function upstreamBisection(
  min: number,
  max: number,
  threshold: number,
  fallback: number,
): CountSearch {
  // Upstream names the upper end `low` and the lower end `high`.
  let [upper, lower] = [max, min];
  let done = false;
  let last = 0;
  let probe = 0;
  let anyNotAbove = false;
  return {
    next() {
      if (done) return undefined;
      probe = Math.ceil((upper + lower) / 2);
      return probe;
    },
    report(loss) {
      if (loss < threshold) upper = probe - 1;
      else lower = probe;
      if (!(loss > threshold)) anyNotAbove = true;
      last = probe;
      done = upper <= lower;
    },
    result() {
      if (!done) throw new Error("upstreamBisection: not done");
      return anyNotAbove ? last : fallback;
    },
  };
}

/**
 * Upstream's linear-search candidates: `np.exp2(np.linspace(log2(min), log2(max), n)).astype(int)`
 * (numpy's linspace: start + i·step, the last point exactly `stop`).
 */
export function linearCandidates(min: number, max: number, n = 100): number[] {
  const [a, b] = [Math.log2(min), Math.log2(max)];
  const step = (b - a) / (n - 1);
  return Array.from({ length: n }, (_, i) => Math.trunc(2 ** (i === n - 1 ? b : i * step + a)));
}

/** Upstream's `inference_linear` choice (see the module doc). */
export function linearScan(min: number, max: number, threshold: number, fallback: number): CountSearch {
  const candidates = [...new Set(linearCandidates(min, max))];
  let i = 0;
  let done: number | undefined;
  return {
    next() {
      if (done !== undefined) return undefined;
      return candidates[i];
    },
    report(loss) {
      if (loss <= threshold) done = candidates[i];
      else if (++i === candidates.length) done = fallback;
    },
    result() {
      if (done === undefined) throw new Error("linearScan: not done");
      return done;
    },
  };
}

/** Search algorithms by option value. */
export const SEARCHES = ["binary", "linear"] as const;
