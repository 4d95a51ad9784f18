/**
 * The `tokens.json` sidecar: what it holds and the checks a reader makes on
 * it (an item count that matches `tokens.npy`, integer lengths and counts).
 *
 * @example
 * ```ts
 * checkTokenJson(JSON.parse(text), 4, "out/tokens.json"); // throws naming the key that is wrong
 * ```
 * @module
 */
import { UsageError } from "./errors.ts";

/** The sidecar of a token file (snake_case keys, as numpy users read them). */
export interface TokenJson {
  format?: string;
  family?: string;
  variant?: string;
  config_hash?: string;
  token_shape: number[];
  token_dtype: string;
  /** The token budget the items were encoded at, when not the full one. */
  budget?: number;
  depth?: number;
  lengths?: number[];
  block_counts?: number[][];
  /** The family's record of how it encoded (Tokens.encoding), handed back to its decode. */
  encoding?: Record<string, unknown>;
  /** Tokens each item carries. */
  token_counts?: number[];
  /** Source of each row, in order. */
  sources?: string[];
  [key: string]: unknown;
}

const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

/** Refuses a sidecar that does not describe `items` rows, naming the file and key. */
export function checkTokenJson(meta: TokenJson, items: number, file: string): void {
  if (!meta || typeof meta !== "object") throw new UsageError(`${file}: expected a JSON object`);
  const rows = (key: string, v: unknown) => {
    if (v === undefined) return;
    if (!Array.isArray(v) || v.length !== items) {
      throw new UsageError(`${file}: ${key} must list one entry per row of tokens.npy (${items})`);
    }
  };
  rows("lengths", meta.lengths);
  rows("block_counts", meta.block_counts);
  rows("token_counts", meta.token_counts);
  rows("sources", meta.sources);
  if (meta.lengths && !meta.lengths.every(isCount)) {
    throw new UsageError(`${file}: lengths must be non-negative integers`);
  }
  if (meta.block_counts && !meta.block_counts.every((r) => Array.isArray(r) && r.every(isCount))) {
    throw new UsageError(`${file}: block_counts must be lists of non-negative integers`);
  }
  if (
    meta.encoding !== undefined &&
    (meta.encoding === null || typeof meta.encoding !== "object" || Array.isArray(meta.encoding))
  ) {
    throw new UsageError(`${file}: encoding must be an object (the family's encode settings)`);
  }
  if (meta.depth !== undefined && !(isCount(meta.depth) && meta.depth >= 1)) {
    throw new UsageError(`${file}: depth must be a positive integer, got ${JSON.stringify(meta.depth)}`);
  }
}
