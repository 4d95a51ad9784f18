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

/** The sidecar of a token file (camelCase keys, like every JSON tok1d writes; see {@link fromLegacyKeys}). */
export interface TokenJson {
  format?: string;
  family?: string;
  variant?: string;
  configHash?: string;
  tokenShape: number[];
  tokenDtype: string;
  /** The token budget the items were encoded at, when not the full one. */
  budget?: number;
  depth?: number;
  lengths?: number[];
  blockCounts?: number[][];
  /** The family's record of how it encoded (Tokens.encoding), handed back to its decode. */
  encoding?: Record<string, unknown>;
  /** Tokens each item carries. */
  tokenCounts?: number[];
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
  rows("blockCounts", meta.blockCounts);
  rows("tokenCounts", meta.tokenCounts);
  rows("sources", meta.sources);
  if (meta.lengths && !meta.lengths.every(isCount)) {
    throw new UsageError(`${file}: lengths must be non-negative integers`);
  }
  if (meta.blockCounts && !meta.blockCounts.every((r) => Array.isArray(r) && r.every(isCount))) {
    throw new UsageError(`${file}: blockCounts must be lists of non-negative integers`);
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

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * A sidecar as written before tok1d moved every JSON file to camelCase
 * (`token_shape`, `block_counts`, `encoding.max_blocks_per_chunk`, …), with
 * its keys renamed; a current sidecar comes back unchanged.
 *
 * @example
 * ```ts
 * fromLegacyKeys({ token_shape: [2, 1, 32], token_dtype: "int64" }); // { tokenShape: [2, 1, 32], tokenDtype: "int64" }
 * ```
 */
export function fromLegacyKeys(meta: unknown): TokenJson {
  if (!meta || typeof meta !== "object" || Array.isArray(meta)) return meta as TokenJson; // checkTokenJson refuses it
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) {
    const isRecord = k === "encoding" && v !== null && typeof v === "object" && !Array.isArray(v);
    out[camel(k)] = isRecord ? Object.fromEntries(Object.entries(v).map(([ek, ev]) => [camel(ek), ev])) : v;
  }
  return out as TokenJson;
}
