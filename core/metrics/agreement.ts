/**
 * Token agreement: the fraction of token ids two encodings share, position by
 * position (how `--precision int8` is compared with fp32). Positions padded
 * with −1 in either (past an item's length) are not counted.
 *
 * @example
 * ```ts
 * const a = tokenAgreement(fp32.tokens, int8.tokens); // 0.97: 97 % of ids equal
 * ```
 * @module
 */
import type { Tensor } from "../tensor.ts";

/** Equal ids / compared ids of two int id tensors of one shape (1 when nothing is compared). */
export function tokenAgreement(a: Tensor, b: Tensor): number {
  if (a.shape.join() !== b.shape.join()) {
    throw new Error(`token agreement: shapes [${a.shape}] and [${b.shape}] differ`);
  }
  const x = a.data as ArrayLike<number | bigint>, y = b.data as ArrayLike<number | bigint>;
  let same = 0, counted = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number(x[i]) < 0 || Number(y[i]) < 0) continue;
    counted++;
    if (x[i] === y[i]) same++;
  }
  return counted ? same / counted : 1;
}
