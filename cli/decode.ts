/**
 * `tok1d decode`: a token file (`tokens.npy` + `tokens.json`, or any `.npy`
 * in the family's layout) → images, batch by batch: `<out>/<source name>.png`
 * (rows without a recorded source are numbered) and, with `--npy`,
 * `images.npy` float32 (N,3,H,W) before clamping. `--budget N` keeps N tokens
 * per item first (prefix families); `--depths d` keeps the first d entries of
 * the family's prefix axis (MARVEL: coarse-to-fine depths).
 *
 * @example
 * ```sh
 * tok1d decode --model titok/s128 --weights w.bin --tokens out/enc --out out/dec --npy
 * ```
 * @module
 */
import { mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { toUint8Image } from "../core/data/batch.ts";
import { NpyStreamWriter } from "../core/data/npy_stream.ts";
import { writePng } from "../core/data/png.ts";
import { UsageError } from "../core/errors.ts";
import type { Tokenizer } from "../core/tokenizer.ts";
import { readTokens } from "../core/tokens_file.ts";
import { sliceTokens, type Tokens } from "../core/tokens.ts";
import { checkTokens } from "../core/tokenizer_checks.ts";
import { intFlag, type ModelFlags, outDir, Progress, tokenizerFromFlags } from "./common.ts";

/** Flags of `tok1d decode`. */
export interface DecodeFlags extends ModelFlags {
  out: string;
  tokens: string;
  npy?: boolean;
  depths?: string;
  budget?: string;
}

/** The first `d` entries of the family's prefix axis. */
function keepPrefix(tok: Tokenizer, t: Tokens, value: string): Tokens {
  const axis = tok.info.prefixAxis;
  if (axis === undefined) throw new UsageError(`--depths: ${tok.info.family} tokens have no prefix axis`);
  const full = tok.info.tokenShape[axis];
  const d = Number(value);
  if (!Number.isInteger(d) || d < 1 || d > t.tokens.shape[axis + 1]) {
    throw new UsageError(`--depths: expected 1..${Math.min(full, t.tokens.shape[axis + 1])}, got '${value}'`);
  }
  const budget = (tok.info.tokensPerItem / full) * d;
  const truncate = tok.model.plugin.truncate;
  if (!truncate) throw new UsageError(`--depths: ${tok.info.family} cannot keep a prefix of its tokens`);
  return truncate(t, budget, tok.info);
}

/** Output names: each row's source file name (unique), else its row number. */
function outputNames(sources: string[] | undefined, n: number): string[] {
  const seen = new Map<string, number>();
  return Array.from({ length: n }, (_, i) => {
    const src = sources?.[i];
    const stem = src
      ? basename(src.replace(/^.*\.tar:/, "")).replace(/\.[^./]*$/, "")
      : String(i).padStart(6, "0");
    const k = (seen.get(stem) ?? 0) + 1;
    seen.set(stem, k);
    return k === 1 ? stem : `${stem}-${k}`;
  });
}

/** `tok1d decode`. */
export async function decodeCommand(f: DecodeFlags): Promise<void> {
  if (!f.tokens) throw new UsageError("--tokens: required (a folder or .npy written by tok1d encode)");
  const file = readTokens(f.tokens);
  const dir = outDir(f.out);
  const tok = await tokenizerFromFlags(f, ["decode"]);
  const npy = f.npy ? new NpyStreamWriter(join(dir, "images.npy")) : undefined;
  try {
    if (file.meta?.family && file.meta.family !== tok.info.family) {
      throw new UsageError(
        `--tokens ${f.tokens}: written by ${file.meta.family}, but --model is ${tok.info.family}`,
      );
    }
    let t = file.tokens;
    if (f.depths !== undefined) t = keepPrefix(tok, t, f.depths);
    if (f.budget !== undefined) {
      const b = intFlag(f.budget, "--budget")!;
      if (!tok.model.plugin.truncate || !tok.info.budgets.includes(b)) {
        throw new UsageError(`--budget ${b}: ${tok.info.family} tokens keep ${tok.info.budgets.join(", ")}`);
      }
      t = tok.model.plugin.truncate(t, b, tok.info);
    }
    checkTokens(tok.info, t, `--tokens ${file.path}`);
    const n = t.tokens.shape[0];
    const names = outputNames(file.meta?.sources, n);
    const bs = intFlag(f.batchSize, "--batch-size", 8)!;
    const progress = new Progress("decode", n, f.json);
    const written: string[] = [];
    for (let i = 0; i < n; i += bs) {
      const images = await tok.decode(sliceTokens(t, i, Math.min(i + bs, n)));
      npy?.append(images);
      for (let j = 0; j < images.shape[0]; j++) {
        const img = toUint8Image(images, j);
        const path = join(dir, `${names[i + j]}.png`);
        mkdirSync(dirname(path), { recursive: true });
        await writePng(path, img.data, img.width, img.height);
        written.push(path);
      }
      progress.update(Math.min(i + bs, n));
    }
    npy?.close();
    const out = { images: written, npy: npy ? npy.path : null };
    console.log(f.json ? JSON.stringify(out, null, 2) : `wrote ${written.length} images to ${dir}`);
  } catch (e) {
    npy?.abort();
    throw e;
  } finally {
    await tok.release();
  }
}
