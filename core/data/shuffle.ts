/**
 * Seeded orderings for data loading: seed mixing (one independent stream per
 * seed, epoch and sample), a Fisher–Yates permutation for sources whose items
 * are all known, and webdataset's shuffle buffer for streams (keep `size`
 * items, emit a random one, refill).
 *
 * @example
 * ```ts
 * import { Rng } from "../init.ts";
 * import { mixSeed, permutation, shuffleBuffer } from "./shuffle.ts";
 * const order = permutation(5, new Rng(mixSeed(42, 0))); // e.g. [3, 0, 4, 1, 2]
 * for await (const x of shuffleBuffer([1, 2, 3, 4], 2, new Rng(1))) console.log(x);
 * ```
 * @module
 */
import type { Rng } from "../init.ts";

/** A 32-bit seed from several integers (murmur3's finaliser over a running mix). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    h = (h + Math.floor(p / 2 ** 32)) | 0; // high bits of large positions
  }
  return h >>> 0;
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, rng: Rng): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/**
 * webdataset's `shuffle(bufsize)`: fills a buffer of `size` items, then for
 * each new item emits a random buffered one and puts the new one in its
 * place; drains the buffer in random order at the end. `size` ≤ 1 passes the
 * stream through.
 */
export async function* shuffleBuffer<T>(
  items: AsyncIterable<T> | Iterable<T>,
  size: number,
  rng: Rng,
): AsyncGenerator<T> {
  if (size <= 1) {
    yield* items;
    return;
  }
  const buf: T[] = [];
  for await (const item of items) {
    if (buf.length < size) {
      buf.push(item);
      continue;
    }
    const j = Math.floor(rng.next() * size);
    yield buf[j];
    buf[j] = item;
  }
  while (buf.length) {
    const j = Math.floor(rng.next() * buf.length);
    yield buf[j];
    buf[j] = buf[buf.length - 1];
    buf.pop();
  }
}
