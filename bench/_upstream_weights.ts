/**
 * Writes the checkpoint both sides of bench/upstream.ts load: `titok/<preset>`
 * with seeded random weights (seed 0) and seeded noise on every bias and norm
 * parameter (seed 1, as bench/compare.ts), as `<dir>/<preset>.safetensors`.
 * Runs in its own process so that the parent never holds the weights; written
 * atomically (tmp + rename) and in chunks (one write of more than 2 GiB fails
 * with ENOSPC under Deno 2.9.6), so TiTok-L-32's 2.5 GB file is fine.
 *
 *   deno run -A bench/_upstream_weights.ts --preset l32 --dir DIR
 * @module
 */
import { closeSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadTokenizer } from "../core/tokenizer.ts";
import { serializeSafetensors } from "../core/weights/safetensors.ts";
import { perturbBiasesAndNorms } from "./_titok_util.ts";

/** The checkpoint's path for a preset under `dir`. */
export function weightsPath(dir: string, preset: string): string {
  return join(dir, `titok-${preset}-seed0-noise1.safetensors`);
}

if (import.meta.main) {
  const { values: o } = parseArgs({
    args: Deno.args,
    options: { preset: { type: "string", default: "tiny" }, dir: { type: "string", default: "." } },
  });
  const tok = await loadTokenizer(`titok/${o.preset}`, { random: true, seed: 0 });
  perturbBiasesAndNorms(tok.weights, 1);
  // The tensors some graph reads (what exportOnnx writes): torch loads them with strict=True.
  const used = new Set(tok.graphNames.flatMap((g) => [...tok.graph(g).params.keys()]));
  const bytes = serializeSafetensors(new Map([...tok.weights].filter(([name]) => used.has(name))));
  mkdirSync(o.dir, { recursive: true });
  const path = weightsPath(o.dir, o.preset);
  const tmp = `${path}.${Deno.pid}.tmp`;
  const fd = openSync(tmp, "w");
  for (let at = 0; at < bytes.byteLength; at += 1 << 28) writeSync(fd, bytes.subarray(at, at + (1 << 28)));
  closeSync(fd);
  renameSync(tmp, path);
}
