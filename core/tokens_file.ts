/**
 * Token files, one writer and one reader for every family: `tokens.npy` in
 * upstream's dtype and layout (ids padded with −1 past each item's length),
 * and `tokens.json` beside it — family, config hash, sources in row order,
 * each item's token count and, where the family has them, per-item lengths,
 * per-block counts, the depth prefix and the family's `encoding` record (the
 * settings its decode must repeat).
 *
 * {@link TokenWriter} streams: rows go to a part file as they come and the
 * final `.npy` (header + rows) replaces nothing until `close`, so encoding a
 * dataset holds one batch in memory and a killed run leaves no half file.
 *
 * @example
 * ```ts
 * const w = new TokenWriter("out/enc");
 * w.append(await tok.encode(batch), ["a.jpg", "b.jpg"]);
 * w.close({ family: "titok" });               // out/enc/tokens.npy + tokens.json
 * const { tokens, meta } = readTokens("out/enc");
 * ```
 * @module
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { readNpy } from "./data/npy.ts";
import { NpyStreamWriter } from "./data/npy_stream.ts";
import { UsageError } from "./errors.ts";
import { writeFileAtomic } from "./fs.ts";
import { checkTokenJson, fromLegacyKeys } from "./tokens_json.ts";
import { assertFiniteTokens, tokenCounts, type Tokens } from "./tokens.ts";

export { type TokenJson } from "./tokens_json.ts";
import type { TokenJson } from "./tokens_json.ts";

/** The file names of a token folder. */
export const TOKEN_FILES = { npy: "tokens.npy", json: "tokens.json" } as const;

/** Streams token batches to `<dir>/tokens.npy` + `tokens.json`. */
export class TokenWriter {
  private readonly npy: NpyStreamWriter;
  private readonly sources: string[] = [];
  private readonly counts: number[] = [];
  private lengths: number[] | undefined;
  private blockCounts: number[][] | undefined;
  private depth: number | undefined;
  private encoding: Record<string, unknown> | undefined;
  private started = false;

  /** `perItem`: the family's full token count (what continuous tokens count per item). */
  constructor(readonly dir: string, private readonly perItem = 0) {
    this.npy = new NpyStreamWriter(join(dir, TOKEN_FILES.npy));
  }

  /** Appends a batch; `sources` names its items in order. */
  append(t: Tokens, sources: string[]): void {
    if (sources.length !== t.tokens.shape[0]) {
      throw new Error(`TokenWriter: ${sources.length} sources for ${t.tokens.shape[0]} items`);
    }
    if (!this.started) {
      this.started = true;
      if (t.lengths) this.lengths = [];
      if (t.blockCounts) this.blockCounts = [];
      this.depth = t.depth;
      this.encoding = t.encoding;
    } else if (
      !!t.lengths !== !!this.lengths || !!t.blockCounts !== !!this.blockCounts || t.depth !== this.depth ||
      JSON.stringify(t.encoding) !== JSON.stringify(this.encoding)
    ) {
      throw new Error(
        "TokenWriter: a batch differs from the first in lengths, block counts, depth or encoding",
      );
    }
    this.npy.append(t.tokens);
    this.sources.push(...sources);
    this.counts.push(...tokenCounts(t, this.perItem));
    if (this.lengths) this.lengths.push(...t.lengths!);
    if (this.blockCounts) this.blockCounts.push(...t.blockCounts!);
  }

  /** Items written so far. */
  get count(): number {
    return this.npy.count;
  }

  /** Writes `tokens.npy` (atomically) and `tokens.json` with `meta` added; returns the sidecar. */
  close(meta: Record<string, unknown>): TokenJson {
    const shape = this.npy.close();
    if (!shape) throw new UsageError(`${this.dir}: no items were encoded, so no token file was written`);
    const json: TokenJson = {
      format: "tok1d-tokens/1",
      ...meta,
      tokenShape: shape,
      tokenDtype: this.npy.dtypeWritten!,
      ...(this.depth !== undefined ? { depth: this.depth } : {}),
      ...(this.lengths ? { lengths: this.lengths } : {}),
      ...(this.blockCounts ? { blockCounts: this.blockCounts } : {}),
      ...(this.encoding ? { encoding: this.encoding } : {}),
      tokenCounts: this.counts,
      sources: this.sources,
    };
    writeFileAtomic(join(this.dir, TOKEN_FILES.json), JSON.stringify(json, null, 2) + "\n");
    return json;
  }

  /** Drops what was written (a failed run). */
  abort(): void {
    this.npy.abort();
  }
}

/** Writes a whole token batch at once (see {@link TokenWriter}). */
export function writeTokens(
  dir: string,
  t: Tokens,
  sources: string[],
  meta: Record<string, unknown>,
  perItem = 0,
) {
  const w = new TokenWriter(dir, perItem);
  w.append(t, sources);
  return w.close(meta);
}

/**
 * Reads `tokens.npy` (a file, or the folder holding it) and, when present,
 * the `tokens.json` beside it: the container with lengths, block counts and
 * depth restored. A bare `.npy` (any tool's) reads as full-budget tokens.
 */
export function readTokens(path: string): { tokens: Tokens; meta?: TokenJson; path: string } {
  if (!existsSync(path)) throw new UsageError(`--tokens ${path}: no such file or folder`);
  const npy = statSync(path).isDirectory() ? join(path, TOKEN_FILES.npy) : path;
  if (!existsSync(npy)) throw new UsageError(`--tokens ${path}: the folder has no ${TOKEN_FILES.npy}`);
  const x = readNpy(npy);
  if (!x.shape.length || x.shape.some((n) => n === 0)) {
    throw new UsageError(`--tokens ${npy}: holds no tokens (shape [${x.shape}]); expected [B, …] with B ≥ 1`);
  }
  assertFiniteTokens(x, `--tokens ${npy}`);
  const side = join(dirname(npy), basename(npy).replace(/\.npy$/, ".json"));
  if (!existsSync(side)) return { tokens: { tokens: x }, path: npy };
  let meta: TokenJson;
  try {
    meta = fromLegacyKeys(JSON.parse(readFileSync(side, "utf8")));
  } catch (e) {
    throw new UsageError(`${side}: not valid JSON (${(e as Error).message})`);
  }
  checkTokenJson(meta, x.shape[0], side);
  const tokens: Tokens = { tokens: x };
  if (meta.lengths) tokens.lengths = meta.lengths;
  if (meta.blockCounts) tokens.blockCounts = meta.blockCounts;
  if (meta.depth !== undefined) tokens.depth = meta.depth;
  if (meta.encoding) tokens.encoding = meta.encoding;
  return { tokens, meta, path: npy };
}
