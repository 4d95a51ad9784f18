/**
 * Typed flag values, checked when commander parses the line, so that a bad
 * number (`--seed abc`, `--threads 0`, `--lr 1e`) stops the command with exit
 * code 2 before any work, whichever (sub)command declares the flag.
 *
 * The checks are keyed by the flag's long name and attached to every command
 * of the tree by {@link typeFlags}; a checked value is passed on unchanged (a
 * string), so the commands' own parsing keeps working.
 * @module
 */
import type { Command } from "commander";
import { parseShardFlag } from "../core/data/shard_slice.ts";
import { UsageError } from "../core/errors.ts";

/** `--strict` of every command that reads images or videos (the policy of core/data/bad_images.ts). */
export const STRICT_HELP =
  "stop at the first unreadable or corrupt image or video (exit 2) instead of skipping and counting it";

/** What a flag's value must be. */
export type FlagKind = "posInt" | "nonNegInt" | "nonNegNumber" | "posNumber" | "seed" | "shard" | "percent";

/** The numeric (and K/N) flags of tok1d, by long name. */
export const FLAG_KINDS: Readonly<Record<string, FlagKind>> = {
  "--accumulate": "posInt",
  "--batch-size": "posInt",
  "--budget": "posInt",
  "--checkpoint-every": "posInt",
  "--concurrency": "posInt",
  "--depths": "posInt",
  "--discriminator-lr": "nonNegNumber",
  "--discriminator-start": "nonNegInt",
  "--discriminator-weight": "nonNegNumber",
  "--end-lr": "nonNegNumber",
  "--lecam-weight": "nonNegNumber",
  "--length": "posInt",
  "--limit": "posInt",
  "--lr": "nonNegNumber",
  "--mtime": "nonNegInt",
  "--noise-scale": "nonNegNumber",
  "--perceptual-weight": "nonNegNumber",
  "--quality": "percent",
  "--resize": "posInt",
  "--seed": "seed",
  "--shard": "shard",
  "--shard-size": "posInt",
  "--size": "posInt",
  "--steps": "posInt",
  "--stop-after": "nonNegInt",
  "--threshold": "nonNegNumber",
  "--threads": "posInt",
  "--vq-restart": "posNumber",
  "--warmup": "nonNegInt",
  "--workers": "posInt",
};

const EXPECT: Record<FlagKind, string> = {
  posInt: "a positive integer",
  nonNegInt: "an integer ≥ 0",
  nonNegNumber: "a non-negative number",
  posNumber: "a number > 0",
  seed: `an integer seed in 0..${2 ** 32 - 1}`,
  shard: "K/N, e.g. 0/8 (K counts from 0)",
  percent: "an integer in 1..100",
};

/** Flags whose expectation reads better in their own words. */
const FLAG_TEXT: Readonly<Record<string, string>> = {
  "--vq-restart": "a positive usage threshold (e.g. 0.01)",
};

/** Shortens a value for a message (a flag value may be a whole file's worth of text). */
export function clip(value: string, max = 60): string {
  return value.length <= max ? value : `${value.slice(0, max)}… (${value.length} characters)`;
}

/** Why `value` is not of `kind`, or undefined when it is; `flag` picks a flag's own wording. */
export function flagProblem(kind: FlagKind, value: string, flag = ""): string | undefined {
  if (kind === "shard") {
    try {
      parseShardFlag(value);
      return undefined;
    } catch (e) {
      return (e as Error).message.replace(/^--shard \S+: /, "");
    }
  }
  const n = value.trim() === "" ? NaN : Number(value);
  const ok = Number.isFinite(n) && (
    kind === "posInt"
      ? Number.isSafeInteger(n) && n > 0
      : kind === "nonNegInt"
      ? Number.isSafeInteger(n) && n >= 0
      : kind === "seed"
      ? Number.isInteger(n) && n >= 0 && n < 2 ** 32
      : kind === "percent"
      ? Number.isInteger(n) && n >= 1 && n <= 100
      : kind === "posNumber"
      ? n > 0
      : n >= 0
  );
  return ok ? undefined : `expected ${FLAG_TEXT[flag] ?? EXPECT[kind]}`;
}

/** A commander argument parser that checks a value of `kind` and returns it unchanged. */
export function checked(flag: string, kind: FlagKind): (value: string, previous: unknown) => string {
  return (value: string) => {
    const problem = flagProblem(kind, value, flag);
    if (problem) throw new UsageError(`${flag}: ${problem}, got '${clip(value)}'`);
    return value;
  };
}

/** Attaches the checks of {@link FLAG_KINDS} to every option of `cmd` and its subcommands that has none. */
export function typeFlags(cmd: Command): void {
  for (const o of cmd.options) {
    const kind = o.long ? FLAG_KINDS[o.long] : undefined;
    if (kind && !o.parseArg && (o.required || o.optional)) o.argParser(checked(o.long!, kind));
  }
  for (const c of cmd.commands) typeFlags(c);
}
