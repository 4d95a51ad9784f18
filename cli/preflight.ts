/**
 * Checks that run after commander has parsed a command line and before the
 * command does any work: output paths (`--out`, `--report`, `--save-stats`)
 * must be creatable folders (or files, for `<file…>` flags), and every input
 * the line names — images, token files, datasets, checkpoints, statistics —
 * must exist. A failure is a {@link UsageError} naming the flag or argument
 * and the path, so `fid photos nope` stops before reading `photos`.
 * @module
 */
import { accessSync, constants, existsSync, type Stats, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../core/errors.ts";
import { missingInceptionMessage } from "../core/metrics/inception_weights.ts";
import { clip } from "./flags.ts";
import { parsePrecision } from "../core/runtime/precision.ts";
import { calibrateFlag } from "./precision.ts";

/** What an input must be: a file, a folder, either, or a dataset spec (a brace/glob pattern is left to the reader). */
type InputKind = "file" | "dir" | "path" | "data";

/** Positional inputs by command path (`fid stats`) and argument name. */
const INPUT_ARGS: Record<string, Record<string, InputKind>> = {
  encode: { inputs: "data" },
  "encode merge": { parts: "dir" },
  reconstruct: { inputs: "data" },
  fid: { a: "data", b: "data" },
  "fid stats": { images: "data" },
  "fid merge": { parts: "file" },
  "eval merge": { parts: "dir" },
  "convert imagefolder": { root: "dir" },
  "convert bdd100k": { root: "dir" },
  "convert merge": { dir: "dir" },
};

/** Input flags, by long name, of whichever command declares them. */
const INPUT_FLAGS: Record<string, InputKind> = {
  "--tokens": "path", // a token folder (from encode) or its tokens.npy
  "--teacher": "file",
  "--labels": "file",
  "--data": "data",
};

/** Output flags, by long name (a `<file…>` value name means a file, anything else a folder). */
const OUTPUT_FLAGS = ["--out", "--report", "--save-stats"];

const stat = (p: string): Stats | undefined => {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
};

const isPattern = (spec: string) => /[{*?]/.test(spec);

/** Throws unless `path` exists as `kind`; `what` names the flag or argument. */
export function checkInput(path: string, kind: InputKind, what: string): void {
  if (kind === "data" && isPattern(path)) return;
  const s = stat(path);
  const p = clip(path, 200);
  if (!s) {
    throw new UsageError(
      `${what} ${p}: no such ${kind === "file" ? "file" : kind === "dir" ? "folder" : "file or folder"}`,
    );
  }
  if (kind === "file" && !s.isFile()) throw new UsageError(`${what} ${p}: is a folder, expected a file`);
  if (kind === "dir" && !s.isDirectory()) throw new UsageError(`${what} ${p}: is a file, expected a folder`);
}

/** The nearest existing ancestor of `path` (itself included). */
function existingAncestor(path: string): { path: string; stat: Stats } | undefined {
  let p = resolve(path);
  for (;;) {
    const s = stat(p);
    if (s) return { path: p, stat: s };
    const up = dirname(p);
    if (up === p) return undefined;
    p = up;
  }
}

/**
 * Throws unless `path` can be the output folder (`file` false) or file (`file` true) of `flag`:
 * it exists as the right kind, or can be created (its nearest existing ancestor is a writable folder).
 */
export function checkOutput(path: string, flag: string, file = false): void {
  const p = clip(path, 200);
  if (!path) throw new UsageError(`${flag}: empty path`);
  const s = stat(path);
  if (s && file && s.isDirectory()) {
    throw new UsageError(`${flag} ${p}: is a folder, expected a file to write`);
  }
  if (s && !file && !s.isDirectory()) throw new UsageError(`${flag} ${p}: exists and is not a folder`);
  const parent = existingAncestor(s ? (file ? dirname(path) : path) : dirname(path));
  if (!parent) return;
  if (!parent.stat.isDirectory()) {
    throw new UsageError(`${flag} ${p}: ${clip(parent.path, 200)} is a file, not a folder`);
  }
  try {
    accessSync(parent.path, constants.W_OK);
  } catch {
    throw new UsageError(`${flag} ${p}: ${clip(parent.path, 200)} is not writable`);
  }
}

/** `fid stats` for the `stats` subcommand of `fid`; "" for the root. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** The command and its ancestors below the root (their options apply: `eval merge --report`). */
function lineage(cmd: Command): Command[] {
  const out: Command[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) out.push(c);
  return out;
}

/** Runs every check for the command about to run (a commander `preAction` hook). */
export function preflight(cmd: Command): void {
  const path = commandPath(cmd);
  // encode's --model and --out are not commander-mandatory (its `merge` subcommand must parse without them).
  if (path === "encode") {
    const o = cmd.opts();
    if (!o.model) {
      throw new UsageError("--model: required (a preset, config file, HF-style folder or 'default')");
    }
    if (!o.out) throw new UsageError("--out: required (the folder for tokens.npy and tokens.json)");
  }
  const opts = cmd.optsWithGlobals();
  // --precision fp16 needs a GPU provider, int8 and bf16 the CPU: refused before any model loads.
  if (typeof opts.precision === "string") parsePrecision(opts.precision, opts.device ?? "cpu", "--precision");
  // --calibrate: only with int8, and its images must exist.
  if (Array.isArray(opts.calibrate)) calibrateFlag(opts.calibrate, opts.precision ?? "fp32");
  for (const c of lineage(cmd)) {
    for (const o of c.options) {
      const v = o.long ? c.getOptionValue(o.attributeName()) : undefined;
      if (typeof v !== "string") continue;
      if (OUTPUT_FLAGS.includes(o.long!)) checkOutput(v, o.long!, /<file/.test(o.flags));
      else if (INPUT_FLAGS[o.long!]) checkInput(v, INPUT_FLAGS[o.long!], o.long!);
    }
  }
  const args = INPUT_ARGS[path] ?? {};
  cmd.registeredArguments.forEach((a, i) => {
    const kind = args[a.name()];
    const v = cmd.processedArgs[i] as string | string[] | undefined;
    if (!kind || v === undefined) return;
    for (const x of Array.isArray(v) ? v : [v]) checkInput(x, kind, `${path}: <${a.name()}>`);
  });
  const all = Object.assign({}, ...lineage(cmd).reverse().map((c) => c.opts())) as Record<string, unknown>;
  checkWeights(all.weights);
  checkInception(path, all, cmd.processedArgs as string[]);
}

/** `--weights`: a path, or (train) a list of `path[@prefix,…]`. */
function checkWeights(weights: unknown): void {
  if (typeof weights === "string") return checkInput(weights, "path", "--weights");
  for (const w of Array.isArray(weights) ? weights : []) {
    const spec = String(w);
    const at = spec.lastIndexOf("@");
    const file = existsSync(spec) || at <= 0 ? spec : spec.slice(0, at);
    if (!existsSync(file)) throw new UsageError(`--weights: ${clip(file, 200)} not found`);
  }
}

/** FID commands: the Inception weights must exist unless every collection is a statistics file. */
function checkInception(path: string, f: Record<string, unknown>, args: string[]): void {
  if (!(path === "fid" || path === "fid stats" || (path === "eval" && f.fid !== false))) return;
  const spec = (f.inception as string | undefined) ?? (process.env.TOK1D_INCEPTION || undefined);
  if (spec !== undefined && !spec.startsWith("random") && !existsSync(spec)) {
    throw new UsageError(missingInceptionMessage(clip(spec, 200)));
  }
  const needs = path === "fid stats" ||
    (path === "fid" && args.some((a) => !a.toLowerCase().endsWith(".npz")));
  if (needs && spec === undefined) throw new UsageError(missingInceptionMessage());
}
