/**
 * Concurrent work with ordered results: up to `concurrency` calls run at once
 * and results come out in input order, whatever order they finish in. This is
 * what keeps conversion output and reader batches independent of timing.
 *
 * @example
 * ```ts
 * import { mapOrdered } from "./ordered.ts";
 * for await (const size of mapOrdered(["a.jpg", "b.jpg"], (f) => Deno.stat(f).then((s) => s.size), 8)) {
 *   console.log(size);
 * }
 * ```
 * @module
 */

/**
 * Applies `fn` to every item with at most `concurrency` calls in flight and
 * yields the results in input order. A rejected call rethrows when its turn
 * comes; the calls still running are then left to finish unobserved.
 */
export async function* mapOrdered<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  fn: (item: T, index: number) => Promise<R>,
  concurrency: number,
): AsyncGenerator<R> {
  const limit = Math.max(1, Math.floor(concurrency));
  const window: Promise<R>[] = [];
  let index = 0;
  for await (const item of items) {
    const p = fn(item, index++);
    p.catch(() => {}); // observed when its turn comes
    window.push(p);
    if (window.length >= limit) yield await window.shift()!;
  }
  while (window.length) yield await window.shift()!;
}
