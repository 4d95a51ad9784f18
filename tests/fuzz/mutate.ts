/**
 * The seeded mutator of the fuzz suite: a case is a pure function of
 * (seed, case index, seed file), so any failure replays exactly with
 * `deno task fuzz --target <t> --seed <s> --case <i> --save <file>`.
 *
 * Mutations, one to four per case: bit flips, random bytes, truncation,
 * insertion (random bytes or a copied range), deletion, duplication, integer
 * field edits (1/2/4/8 bytes, either byte order, boundary values: the header,
 * offset and size edits), and the target's crafted tokens (pickle opcodes, tar
 * and PAX fields, JSON/YAML syntax) inserted or written over the bytes.
 *
 * @example
 * ```ts
 * import { mutate, rng } from "./mutate.ts";
 * const bytes = mutate(new Uint8Array([1, 2, 3]), rng(7, 0), []);
 * ```
 * @module
 */

/** A deterministic PRNG in [0, 1) (mulberry32), seeded by a run seed and a case index. */
export function rng(seed: number, index: number): () => number {
  let s = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export const pick = (r: () => number, n: number): number => Math.floor(r() * n);

const INTERESTING = [
  0,
  1,
  2,
  7,
  0x7f,
  0x80,
  0xff,
  0x100,
  0x7fff,
  0x8000,
  0xffff,
  0x10000,
  0x7fffffff,
  0x80000000,
  0xffffffff,
  2 ** 32,
  2 ** 40,
  2 ** 53 - 1,
  2 ** 55,
  2 ** 63,
  2 ** 64 - 1,
  -1,
  -2,
];

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

/** Writes `value` as a `width`-byte integer at `at` (two's complement, truncated to the width). */
function putInt(b: Uint8Array, at: number, width: number, value: number, little: boolean): void {
  let v = BigInt.asUintN(64, BigInt(Math.trunc(value)));
  for (let i = 0; i < width && at + i < b.length; i++) {
    b[little ? at + i : at + width - 1 - i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** One mutation of `b` (a fresh array is returned when the length changes). */
function once(b: Uint8Array, r: () => number, tokens: Uint8Array[]): Uint8Array {
  const n = b.length;
  const at = pick(r, n + 1);
  switch (pick(r, 10)) {
    case 0: { // bit flips
      const out = b.slice();
      for (let k = 1 + pick(r, 8); k > 0 && n; k--) out[pick(r, n)] ^= 1 << pick(r, 8);
      return out;
    }
    case 1: { // random bytes
      const out = b.slice();
      for (let k = 1 + pick(r, 4); k > 0 && n; k--) out[pick(r, n)] = pick(r, 256);
      return out;
    }
    case 2: // truncation
      return b.slice(0, pick(r, n + 1));
    case 3: { // insertion: random bytes or a copied range
      const len = 1 + pick(r, 64);
      const ins = r() < 0.5
        ? Uint8Array.from({ length: len }, () => pick(r, 256))
        : b.slice(pick(r, n + 1), pick(r, n + 1) + len);
      return concat(b.subarray(0, at), ins, b.subarray(at));
    }
    case 4: // deletion
      return concat(b.subarray(0, at), b.subarray(Math.min(n, at + 1 + pick(r, 32))));
    case 5: { // duplication of a range
      const end = Math.min(n, at + 1 + pick(r, 256));
      return concat(b.subarray(0, end), b.subarray(at, end), b.subarray(end));
    }
    case 6:
    case 7: { // integer field edit (header, offset and size fields)
      const out = b.slice();
      const width = [1, 2, 4, 8][pick(r, 4)];
      const base = INTERESTING[pick(r, INTERESTING.length)];
      const value = r() < 0.3 ? n + pick(r, 5) - 2 : r() < 0.8 ? base : base + pick(r, 9) - 4;
      putInt(out, Math.min(at, Math.max(0, n - width)), width, value, r() < 0.7);
      return out;
    }
    default: { // crafted token, inserted or written over
      if (!tokens.length) return once(b, r, tokens);
      const tok = tokens[pick(r, tokens.length)];
      if (r() < 0.5) return concat(b.subarray(0, at), tok, b.subarray(at));
      const out = b.slice();
      out.set(tok.subarray(0, Math.max(0, n - at)), Math.min(at, n));
      return out;
    }
  }
}

/**
 * One to four mutations of `seed` (never modified), drawing from `r`.
 *
 * @example
 * ```ts
 * const a = mutate(new Uint8Array(64), rng(1, 5), []), b = mutate(new Uint8Array(64), rng(1, 5), []);
 * // a and b are equal
 * ```
 */
export function mutate(seed: Uint8Array, r: () => number, tokens: Uint8Array[]): Uint8Array {
  let b = seed;
  for (let k = 1 + pick(r, 4); k > 0; k--) b = once(b, r, tokens);
  return b === seed ? seed.slice() : b;
}

/** Tokens from text (`"size="`) or bytes. */
export function tokens(...items: (string | number[])[]): Uint8Array[] {
  return items.map((t) => typeof t === "string" ? new TextEncoder().encode(t) : Uint8Array.from(t));
}
