/**
 * What a fuzz target is: a loader, the valid files its cases start from,
 * the crafted tokens its mutator may splice in, and optionally a
 * structure-aware mutation (mutate a zip member and re-zip, so the bytes
 * reach the parser inside).
 *
 * @module
 */
import { unzipSync, zipSync } from "fflate";
import { mutate, pick } from "./mutate.ts";

/** One loader under fuzz. */
export interface Target {
  name: string;
  /** Valid inputs that cases mutate. */
  seeds(): Promise<Uint8Array[]> | Uint8Array[];
  /** Crafted byte strings (opcodes, header fields) the mutator inserts. */
  tokens: Uint8Array[];
  /** A structure-aware mutation, or undefined to fall back to plain byte mutation. */
  structured?(seed: Uint8Array, r: () => number): Uint8Array | undefined;
  /** Loads the bytes; a UsageError is the expected refusal, anything else a bug. `tmp` is a scratch folder. */
  run(bytes: Uint8Array, tmp: string): unknown;
}

/**
 * Unzips `seed`, mutates the members whose name matches `member` with `inner`
 * tokens, and zips again (stored or deflated): the inner parser gets reached.
 */
export function rezip(
  seed: Uint8Array,
  r: () => number,
  member: RegExp,
  inner: Uint8Array[],
): Uint8Array | undefined {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(seed);
  } catch {
    return undefined;
  }
  const names = Object.keys(files).filter((n) => member.test(n));
  if (!names.length) return undefined;
  const name = names[pick(r, names.length)];
  files[name] = mutate(files[name], r, inner);
  const level = r() < 0.5 ? 0 : 1;
  return zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, [v, { level }]])));
}
