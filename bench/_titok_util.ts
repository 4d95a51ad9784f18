/**
 * Helpers shared by bench/titok_bench.ts and bench/compare.ts: seeded input
 * images, batch slicing, and a timing loop.
 * @module
 */
import { sizeOf, type Tensor } from "../core/tensor.ts";
import { Rng } from "../core/init.ts";

export { Rng };

/** Seeded uniform [0,1) images (n, 3, size, size). */
export function randomImages(n: number, size: number, seed = 1): Tensor<"float32"> {
  const rng = new Rng(seed);
  const data = new Float32Array(n * 3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  return { dtype: "float32", shape: [n, 3, size, size], data };
}

/** Rows [start, end) of a batch, sharing its buffer. */
export function rows<T extends Tensor>(t: T, start: number, end: number): T {
  const per = sizeOf(t.shape.slice(1));
  return { ...t, shape: [end - start, ...t.shape.slice(1)], data: t.data.subarray(start * per, end * per) };
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Per-call seconds of awaited calls after `warmup` untimed ones: at least `iters` calls and `minTime` s. */
export async function timeCalls(
  fn: () => Promise<unknown>,
  warmup: number,
  iters: number,
  minTime = 0,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  let total = 0;
  while (out.length < iters || total < minTime) {
    const t = performance.now();
    await fn();
    out.push((performance.now() - t) / 1000);
    total += out[out.length - 1];
  }
  return out;
}

/**
 * Seeded noise (σ 0.05) on every bias and norm parameter, in place: the initialiser sets them to
 * exactly 0 and 1, and a parity check on those values would not notice a misplaced bias.
 */
export function perturbBiasesAndNorms(weights: Map<string, Tensor>, seed: number): void {
  const rng = new Rng(seed);
  for (const [name, t] of weights) {
    if (!/(bias|(ln_\w+|norm\w*)\.weight)$/.test(name)) continue;
    const d = t.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] += 0.05 * rng.normal();
  }
}
