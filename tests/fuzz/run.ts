/**
 * The fuzz child process: runs cases `from..to` of one target and reports
 * each on stdout — `S <i>` before it, `E <i> <ms> <peak RSS MiB> <ok|usage|untyped> <message>`
 * after — so that the parent (driver.ts) can time it, kill it on a hang and
 * restart after the case. Each case's peak RSS is measured by resetting the
 * kernel's high-water mark (`/proc/self/clear_refs`) before it.
 *
 *   deno run -A tests/fuzz/run.ts <target> <seed> <from> <to> [--save <dir>]
 *   deno run -A tests/fuzz/run.ts --crafted <name>
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../../core/errors.ts";
import { mutate, pick, rng } from "./mutate.ts";
import type { Target } from "./target.ts";
import { SELFTEST, TARGETS } from "./targets.ts";
import { CRAFTED } from "./crafted.ts";

/** Peak RSS since the last reset, MiB. */
export function peakRssMiB(): number {
  const m = /VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"));
  return m ? Number(m[1]) / 1024 : NaN;
}

function resetPeak(): void {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
  } catch { /* not Linux: peaks accumulate */ }
}

/** The bytes of case `i` of `target` under `seed` (deterministic). */
export function caseBytes(target: Target, seeds: Uint8Array[], seed: number, i: number): Uint8Array {
  const r = rng(seed, i);
  const base = seeds[pick(r, seeds.length)];
  if (i < seeds.length) return seeds[i].slice(); // the valid seeds themselves come first
  if (target.structured && r() < 0.35) {
    const b = target.structured(base, r);
    if (b) return b;
  }
  return mutate(base, r, target.tokens);
}

/** Runs `fn`, classifying what it throws. */
export async function classify(fn: () => unknown): Promise<[kind: string, message: string]> {
  try {
    await fn();
    return ["ok", ""];
  } catch (e) {
    const msg = String((e as Error)?.stack ?? e).split("\n").slice(0, 3).join(" | ").slice(0, 300);
    return [e instanceof UsageError ? "usage" : "untyped", msg];
  }
}

async function main(args: string[]): Promise<void> {
  // The scratch folder: the parent's (which removes it even when it kills this process), or our own.
  const given = Deno.env.get("TOK1D_FUZZ_TMP");
  const tmp = given ?? Deno.makeTempDirSync({ prefix: "tok1d-fuzz-" });
  const out = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));
  try {
    if (args[0] === "--crafted") {
      const c = CRAFTED.find((x) => x.name === args[1]);
      if (!c) throw new Error(`no crafted case ${args[1]}`);
      const bytes = await c.bytes();
      resetPeak();
      out(`S 0`);
      const t = performance.now();
      const [kind, msg] = await classify(() => c.run(bytes, tmp));
      out(
        `E 0 ${(performance.now() - t).toFixed(1)} ${
          peakRssMiB().toFixed(1)
        } ${kind} ${bytes.length}B ${msg}`,
      );
      return;
    }
    const [name, seedText, fromText, toText] = args;
    const target = [...TARGETS, SELFTEST].find((t) => t.name === name);
    if (!target) throw new Error(`no fuzz target ${name} (${TARGETS.map((t) => t.name).join(", ")})`);
    const save = args.indexOf("--save") > 0 ? args[args.indexOf("--save") + 1] : undefined;
    const seeds = await target.seeds();
    for (let i = Number(fromText); i < Number(toText); i++) {
      const bytes = caseBytes(target, seeds, Number(seedText), i);
      if (save) {
        mkdirSync(save, { recursive: true });
        writeFileSync(join(save, `${name}-${seedText}-${i}.bin`), bytes);
      }
      resetPeak();
      out(`S ${i}`);
      const t = performance.now();
      const [kind, msg] = await classify(() => target.run(bytes, tmp));
      out(`E ${i} ${(performance.now() - t).toFixed(1)} ${peakRssMiB().toFixed(1)} ${kind} ${msg}`);
    }
  } finally {
    if (!given) Deno.removeSync(tmp, { recursive: true });
  }
}

if (import.meta.main) await main(Deno.args);
