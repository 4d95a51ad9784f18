/**
 * Block-causal attention masks (ElasticTok): tokens attend to every token of
 * their own block and of all earlier blocks, never to later blocks — full
 * attention inside a block, causal across blocks. Upstream builds it as
 * `tril(ones(n_blocks, n_blocks))` repeated `max_toks` times along both axes
 * (`elastic/model.py`, `Attention.__call__`) and, when decoding with a cache,
 * keeps the rows of the queries being decoded.
 *
 * @example
 * ```ts
 * blockCausalMask(4, 2).data; // rows: 1100 1100 1111 1111
 * blockCausalMask(6, 2, { rows: [4, 6] }).shape; // [2, 6]: the newest block against everything
 * ```
 * @module
 */
import type { Tensor } from "../tensor.ts";

/** Options of {@link blockCausalMask}. */
export interface BlockMaskOptions {
  /** Query rows [start, end) to keep (default: all); keys always span the whole length. */
  rows?: [number, number];
  /** Per-position padding: false keys are masked for every query (upstream's `attention_mask`). */
  valid?: readonly boolean[];
}

/** bool (rows, length): true where query i may attend to key j, i.e. ⌊j/block⌋ ≤ ⌊i/block⌋. */
export function blockCausalMask(length: number, block: number, o: BlockMaskOptions = {}): Tensor<"bool"> {
  if (!(block > 0) || length % block) {
    throw new Error(`blockCausalMask: length ${length} is not whole blocks of ${block}`);
  }
  const [start, end] = o.rows ?? [0, length];
  if (start < 0 || end > length || start > end) {
    throw new Error(`blockCausalMask: rows [${start}, ${end}) of ${length}`);
  }
  const data = new Uint8Array((end - start) * length);
  for (let i = start; i < end; i++) {
    const last = (Math.floor(i / block) + 1) * block;
    for (let j = 0; j < last; j++) data[(i - start) * length + j] = o.valid && !o.valid[j] ? 0 : 1;
  }
  return { dtype: "bool", shape: [end - start, length], data };
}
