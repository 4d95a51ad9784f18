/**
 * `tok1d encode merge`: joins the folders of `encode --shard K/N` runs
 * (core/tokens_merge.ts) into one token folder.
 *
 * @example
 * ```sh
 * tok1d encode merge --out tok/all tok/part-0 tok/part-1 tok/part-2
 * ```
 * @module
 */
import { join } from "node:path";
import { mergeTokenParts } from "../core/tokens_merge.ts";
import { UsageError } from "../core/errors.ts";
import { outDir } from "./common.ts";

/** `tok1d encode merge`. */
export function encodeMergeCommand(parts: string[], f: { out?: string; json?: boolean }): void {
  if (!f.out) throw new UsageError("encode merge: --out <dir> is required");
  const dir = outDir(f.out);
  const side = mergeTokenParts(parts, dir);
  const npy = join(dir, "tokens.npy");
  if (f.json) console.log(JSON.stringify({ tokens: npy, ...side }, null, 2));
  else console.log(`merged ${parts.length} parts: ${npy} (${side.tokenDtype} [${side.tokenShape}])`);
}
