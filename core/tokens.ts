/**
 * The one token container every family returns and reads: ids or latents in
 * upstream's layout and dtype, plus what makes a token sequence's length
 * variable — per-item lengths (ALIT), per-block counts (ElasticTok) or a depth
 * prefix (MARVEL). Discrete ids past an item's length are −1.
 *
 * @example
 * ```ts
 * const t: Tokens = { tokens: { dtype: "int64", shape: [2, 1, 4], data: ids }, lengths: [4, 2] };
 * tokenCounts(t, 4);             // [4, 2]
 * const [a, b] = [sliceTokens(t, 0, 1), sliceTokens(t, 1, 2)];
 * concatTokens([a, b]);           // equal to t
 * ```
 * @module
 */
import { UsageError } from "./errors.ts";
import { sizeOf, type Tensor } from "./tensor.ts";

/** Tokens of a batch of items (images or videos). */
export interface Tokens {
  /** Ids (int64, −1 past each item's length) or a continuous latent, upstream layout, batch first. */
  tokens: Tensor;
  /** Tokens each item keeps, when the family's length varies per item (ALIT). */
  lengths?: number[];
  /** Tokens kept in each block of each item (ElasticTok): `blockCounts[item][block]`. */
  blockCounts?: number[][];
  /** Depths present on the last axis (MARVEL): a prefix 1 ≤ d ≤ D of the coarse-to-fine depths. */
  depth?: number;
  /** The continuous latent the decoder reads, when the encoder produced one (reconstruct, eval). */
  latent?: Tensor;
  /**
   * How the family encoded the batch, in its own snake_case keys (settings its
   * decode must repeat, or a reader wants to know): saved as `encoding` in
   * tokens.json and given back to decode. Core never looks inside.
   */
  encoding?: Record<string, unknown>;
}

/** True for the dtypes that hold token ids. */
export function isDiscrete(t: Tensor): boolean {
  return t.dtype === "int64" || t.dtype === "int32";
}

/** Items [start, end) of a batch tensor (a view, no copy). */
export function sliceBatch(t: Tensor, start: number, end: number): Tensor {
  const per = sizeOf(t.shape.slice(1));
  return {
    dtype: t.dtype,
    shape: [end - start, ...t.shape.slice(1)],
    data: t.data.subarray(start * per, end * per),
  } as Tensor;
}

/** Joins batch tensors of one dtype and item shape along the batch axis. */
export function concatBatch(parts: Tensor[]): Tensor {
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  const item = first.shape.slice(1).join();
  for (const p of parts) {
    if (p.dtype !== first.dtype || p.shape.slice(1).join() !== item) {
      throw new UsageError(
        `cannot join ${p.dtype} (${p.shape}) to ${first.dtype} (${first.shape}): item shapes differ`,
      );
    }
  }
  const Ctor = first.data.constructor as new (n: number) => Tensor["data"];
  const data = new Ctor(parts.reduce((a, p) => a + p.data.length, 0));
  let at = 0;
  for (const p of parts) {
    (data as Float32Array).set(p.data as Float32Array, at);
    at += p.data.length;
  }
  return {
    dtype: first.dtype,
    shape: [parts.reduce((a, p) => a + p.shape[0], 0), ...first.shape.slice(1)],
    data,
  } as Tensor;
}

/** Items [start, end) of a token batch. */
export function sliceTokens(t: Tokens, start: number, end: number): Tokens {
  return {
    tokens: sliceBatch(t.tokens, start, end),
    ...(t.lengths ? { lengths: t.lengths.slice(start, end) } : {}),
    ...(t.blockCounts ? { blockCounts: t.blockCounts.slice(start, end) } : {}),
    ...(t.depth !== undefined ? { depth: t.depth } : {}),
    ...(t.latent ? { latent: sliceBatch(t.latent, start, end) } : {}),
    ...(t.encoding ? { encoding: t.encoding } : {}),
  };
}

/** Joins token batches (in order); they must agree on layout and on which extras they carry. */
export function concatTokens(parts: Tokens[]): Tokens {
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  for (const p of parts) {
    if (
      !!p.lengths !== !!first.lengths || !!p.blockCounts !== !!first.blockCounts || p.depth !== first.depth
    ) {
      throw new UsageError("cannot join token batches: they differ in lengths, block counts or depth");
    }
    if (JSON.stringify(p.encoding) !== JSON.stringify(first.encoding)) {
      throw new UsageError("cannot join token batches: they were encoded with different settings (encoding)");
    }
  }
  const out: Tokens = { tokens: concatBatch(parts.map((p) => p.tokens)) };
  if (first.lengths) out.lengths = parts.flatMap((p) => p.lengths!);
  if (first.blockCounts) out.blockCounts = parts.flatMap((p) => p.blockCounts!);
  if (first.depth !== undefined) out.depth = first.depth;
  if (parts.every((p) => p.latent)) out.latent = concatBatch(parts.map((p) => p.latent!));
  if (first.encoding) out.encoding = first.encoding;
  return out;
}

/**
 * Tokens each item carries: its length or the sum of its block counts where
 * the family records them, else the ids that are not −1 (discrete) or
 * `perItem` (continuous latents: the family's token count).
 */
export function tokenCounts(t: Tokens, perItem: number): number[] {
  const n = t.tokens.shape[0];
  if (t.lengths) return [...t.lengths];
  if (t.blockCounts) return t.blockCounts.map((b) => b.reduce((a, c) => a + c, 0));
  if (!isDiscrete(t.tokens)) return new Array(n).fill(perItem);
  const per = sizeOf(t.tokens.shape.slice(1));
  const ids = t.tokens.data as BigInt64Array | Int32Array;
  return Array.from({ length: n }, (_, i) => {
    let c = 0;
    for (let j = i * per; j < (i + 1) * per; j++) if (ids[j] >= 0) c++;
    return c;
  });
}

/** Refuses NaN/±Inf in continuous tokens, naming where they came from and the first bad entry. */
export function assertFiniteTokens(t: Tensor, source: string): void {
  if (isDiscrete(t)) return;
  const d = t.data as Float32Array;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      throw new UsageError(`${source}: entry ${i} is ${d[i]}; token and latent files must be finite`);
    }
  }
}
