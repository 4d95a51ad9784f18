/**
 * What the driver checks before a program runs: inputs of the declared kind
 * and size, and tokens of the declared dtype, shape (or prefix), range and
 * finiteness — each refusal a UsageError that says what was expected.
 *
 * @example
 * ```ts
 * checkInputs(tok.info, images); // throws unless float32 (B,3,H,W) for an image family
 * checkTokens(tok.info, { tokens });
 * ```
 * @module
 */
import { UsageError } from "./errors.ts";
import type { TokenizerInfo } from "./plugin.ts";
import type { Tensor } from "./tensor.ts";
import { assertFiniteTokens, isDiscrete, type Tokens } from "./tokens.ts";

/** Refuses items that are not the family's input (images (B,3,H,W) or videos (B,F,3,H,W), float32). */
export function checkInputs(info: TokenizerInfo, x: Tensor): void {
  const i = info.input;
  const want = i.kind === "image" ? [3, i.height, i.width] : [i.frames, 3, i.height, i.width];
  if (
    x.dtype !== "float32" || x.shape.length !== want.length + 1 || x.shape.slice(1).join() !== want.join()
  ) {
    throw new UsageError(
      `${i.kind}s: expected float32 (B,${want.join(",")}) in [0,1], got ${x.dtype} (${x.shape.join(",")})`,
    );
  }
  if (x.shape[0] === 0) throw new UsageError(`${i.kind}s: the batch is empty`);
}

/** Refuses tokens that do not fit the family (dtype, shape or an allowed prefix, id range, NaN/Inf). */
export function checkTokens(info: TokenizerInfo, t: Tokens, source = "tokens"): void {
  const x = t.tokens;
  const want = info.tokenShape;
  const got = x.shape.slice(1);
  const axis = info.prefixAxis;
  const prefixOk = axis !== undefined && got.length === want.length &&
    got.every((d, i) => i === axis ? d >= 1 && d <= want[i] : d === want[i]);
  if (x.dtype !== info.tokenDtype || (got.join() !== want.join() && !prefixOk)) {
    const shape = axis === undefined
      ? `(B,${want.join(",")})`
      : `(B,${want.map((d, i) => (i === axis ? "d" : d)).join(",")}) with 1 ≤ d ≤ ${want[axis]}`;
    throw new UsageError(
      `${source}: expected ${info.tokenDtype} ${shape}, got ${x.dtype} (${x.shape.join(",")})`,
    );
  }
  if (x.shape[0] === 0) throw new UsageError(`${source}: the batch is empty (shape ${x.shape.join(",")})`);
  if (isDiscrete(x) && info.vocabulary) {
    const v = BigInt(info.vocabulary);
    const low = info.padded ? -1n : 0n;
    const ids = x.data as BigInt64Array | Int32Array;
    const big = x.dtype === "int64";
    for (let i = 0; i < ids.length; i++) {
      const id = big ? (ids[i] as bigint) : BigInt(ids[i]);
      if (id < low || id >= v) {
        throw new UsageError(
          `${source}: entry ${i} is ${ids[i]}, outside [${low}, ${v})${
            info.padded ? " (−1 = not sent)" : ""
          }`,
        );
      }
    }
  }
  assertFiniteTokens(x, source);
  const n = x.shape[0];
  if (t.lengths && t.lengths.length !== n) {
    throw new UsageError(`${source}: ${t.lengths.length} lengths for ${n} items`);
  }
  if (t.blockCounts && t.blockCounts.length !== n) {
    throw new UsageError(`${source}: ${t.blockCounts.length} block-count rows for ${n} items`);
  }
}
