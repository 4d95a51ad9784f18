/**
 * Joins the token folders that `encode --shard K/N` runs wrote into the one a
 * single process would have written: parts in K order (each part is a
 * contiguous block of the inputs), rows, sources, counts and lengths
 * concatenated. Every part must be present once and agree on family, config
 * hash, budget, dtype and item shape.
 *
 * @example
 * ```ts
 * mergeTokenParts(["tok/p0", "tok/p1", "tok/p2"], "tok/all"); // tok/all/tokens.npy + tokens.json
 * ```
 * @module
 */
import { UsageError } from "./errors.ts";
import { readTokens, type TokenJson, TokenWriter } from "./tokens_file.ts";

const MUST_AGREE = ["family", "variant", "configHash", "budget", "tokenDtype", "randomWeights"] as const;

/** Merges shard parts into `out`; returns the merged sidecar. */
export function mergeTokenParts(dirs: string[], out: string): TokenJson {
  if (!dirs.length) throw new UsageError("encode merge: name the part folders to join");
  const parts = dirs.map((d) => {
    const r = readTokens(d);
    const shard = r.meta?.shard as { index?: number; count?: number } | undefined;
    if (!r.meta || !shard || !Number.isInteger(shard.index) || !Number.isInteger(shard.count)) {
      throw new UsageError(
        `${d}: not a part written by 'tok1d encode --shard K/N' (tokens.json has no shard)`,
      );
    }
    return { dir: d, ...r, shard: shard as { index: number; count: number }, meta: r.meta };
  });
  const n = parts[0].shard.count;
  const byIndex = new Map<number, (typeof parts)[number]>();
  for (const p of parts) {
    if (p.shard.count !== n) {
      throw new UsageError(
        `${p.dir}: part ${p.shard.index}/${p.shard.count}, but ${parts[0].dir} is of ${n} parts`,
      );
    }
    const twin = byIndex.get(p.shard.index);
    if (twin) throw new UsageError(`${p.dir} and ${twin.dir} are both part ${p.shard.index}/${n}`);
    byIndex.set(p.shard.index, p);
    for (const k of MUST_AGREE) {
      if (JSON.stringify(p.meta[k]) !== JSON.stringify(parts[0].meta[k])) {
        throw new UsageError(
          `${p.dir}: ${k} is ${JSON.stringify(p.meta[k])}, but ${parts[0].dir} has ${
            JSON.stringify(parts[0].meta[k])
          }`,
        );
      }
    }
    if (p.meta.tokenShape.slice(1).join() !== parts[0].meta.tokenShape.slice(1).join()) {
      throw new UsageError(`${p.dir}: token shape [${p.meta.tokenShape}] differs from ${parts[0].dir}'s`);
    }
  }
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length) {
    throw new UsageError(`encode merge: parts ${missing.map((i) => `${i}/${n}`).join(", ")} are missing`);
  }
  const writer = new TokenWriter(out, Number(parts[0].meta.tokensPerItem ?? 0));
  const { shard: _shard, tokenCounts: _c, sources: _s, lengths: _l, blockCounts: _b, ...common } =
    parts[0].meta;
  try {
    for (let i = 0; i < n; i++) {
      const p = byIndex.get(i)!;
      const rows = p.tokens.tokens.shape[0];
      writer.append(p.tokens, p.meta.sources ?? Array.from({ length: rows }, () => `${p.dir}:?`));
    }
    return writer.close({ ...common, mergedFrom: n });
  } catch (e) {
    writer.abort();
    throw e;
  }
}
