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
  how: (b: Uint8Array, r: () => number, toks: Uint8Array[]) => Uint8Array = mutate,
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
  files[name] = how(files[name], r, inner);
  const level = r() < 0.5 ? 0 : 1;
  return zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, [v, { level }]])));
}

/** Integer opcodes (BININT1, BININT2, BININT) and the bytes each takes. */
const INT_OPS: Record<number, number> = { 0x4b: 2, 0x4d: 3, 0x4a: 5 };
/** What an integer opcode may become: a bigint, negative and huge ints, an empty LONG1. */
const INT_SWAPS = [
  [0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x40], // LONG1 2^70
  [0x8a, 8, 0, 0, 0, 0, 0, 0, 0x20, 0], // LONG1 2^53
  [0x4a, 0xff, 0xff, 0xff, 0xff], // -1
  [0x4a, 0xff, 0xff, 0xff, 0x7f], // 2^31 - 1
  [0x4b, 0],
  [0x8a, 0],
  [0x47, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0], // a float NaN
].map((b) => Uint8Array.from(b));

/**
 * Opcode-aware pickle mutation: a crafted token inserted right before a STOP
 * (so that it becomes the value, e.g. a dict holding itself), or an integer
 * opcode (a tensor's size, stride, offset, numel) swapped for a bigint, a
 * negative, a huge int or a float.
 */
export function mutatePickle(pkl: Uint8Array, r: () => number, toks: Uint8Array[]): Uint8Array {
  let out = pkl;
  for (let k = 1 + pick(r, 3); k > 0; k--) out = pickleOnce(out, r, toks);
  return out;
}

function pickleOnce(pkl: Uint8Array, r: () => number, toks: Uint8Array[]): Uint8Array {
  const at = (pred: (b: number) => boolean) => {
    const hits: number[] = [];
    for (let i = 0; i < pkl.length; i++) if (pred(pkl[i])) hits.push(i);
    return hits.length ? hits[pick(r, hits.length)] : -1;
  };
  const cat = (...p: Uint8Array[]) => {
    const out = new Uint8Array(p.reduce((n, x) => n + x.length, 0));
    p.reduce((o, x) => (out.set(x, o), o + x.length), 0);
    return out;
  };
  if (r() < 0.5) {
    const stop = at((b) => b === 0x2e);
    if (stop < 0) return mutate(pkl, r, toks);
    return cat(pkl.subarray(0, stop), toks[pick(r, toks.length)], pkl.subarray(stop));
  }
  const i = at((b) => INT_OPS[b] !== undefined);
  if (i < 0) return mutate(pkl, r, toks);
  return cat(pkl.subarray(0, i), INT_SWAPS[pick(r, INT_SWAPS.length)], pkl.subarray(i + INT_OPS[pkl[i]]));
}
