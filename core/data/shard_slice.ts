/**
 * `--shard K/N`: which part of a job one of N machines does. K counts from 0
 * (Slurm's `$SLURM_ARRAY_TASK_ID` with `--array=0-(N-1)`, Kubernetes'
 * `$JOB_COMPLETION_INDEX`, GNU parallel's `{%}` minus one). Parts are
 * contiguous blocks whose sizes differ by at most one, and together they
 * cover every item exactly once.
 *
 * @example
 * ```ts
 * import { parseShardFlag, sliceRange } from "./shard_slice.ts";
 * const part = parseShardFlag("1/4"); // { index: 1, count: 4 }
 * sliceRange(10, part); // [2, 5]: items 2, 3, 4
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";

/** Part `index` of `count` (0 ≤ index < count). */
export interface ShardSlice {
  index: number;
  count: number;
}

/** The whole job. */
export const WHOLE: ShardSlice = { index: 0, count: 1 };

/**
 * Parses "K/N" (0-based K); `flag` names the option in the error message.
 *
 * @example
 * ```ts
 * parseShardFlag("0/1"); // { index: 0, count: 1 }
 * parseShardFlag("4/4"); // throws UsageError: --shard 4/4: K must be in 0..3
 * ```
 */
export function parseShardFlag(value: string, flag = "--shard"): ShardSlice {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new UsageError(`${flag} ${value}: expected K/N, e.g. 0/8 (K counts from 0)`);
  const index = Number(m[1]), count = Number(m[2]);
  if (count < 1) throw new UsageError(`${flag} ${value}: N must be at least 1`);
  if (index >= count) {
    throw new UsageError(`${flag} ${value}: K must be in 0..${count - 1} (K counts from 0)`);
  }
  return { index, count };
}

/** The items [start, end) of `total` that part `slice` takes. */
export function sliceRange(total: number, slice: ShardSlice): [number, number] {
  const start = Math.floor((slice.index * total) / slice.count);
  const end = Math.floor(((slice.index + 1) * total) / slice.count);
  return [start, end];
}

/** "K-of-N", as used in part-manifest file names. */
export function sliceLabel(slice: ShardSlice): string {
  return `${slice.index}-of-${slice.count}`;
}
