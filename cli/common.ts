/**
 * What the CLI commands share: model loading from flags, output folders,
 * progress on stderr, and the tokens sidecar.
 * @module
 */
import { existsSync, mkdirSync } from "node:fs";
import { UsageError } from "../core/errors.ts";
export { configHash } from "../core/config.ts";
import { type LoadOptions, loadTokenizer, type ProgramName, type Tokenizer } from "../core/tokenizer.ts";
import { checkOutput } from "./preflight.ts";
import { parsePrecision } from "../core/runtime/precision.ts";
import { calibrateFlag } from "./precision.ts";

/** Flags every model-using command accepts. */
export interface ModelFlags {
  model: string;
  weights?: string;
  random?: boolean;
  seed?: string;
  device: string;
  threads?: string;
  /** fp32 (default), int8, bf16 or fp16 (core/runtime/precision.ts). */
  precision?: string;
  /** `--calibrate` values: image files/folders, or `none` (cli/precision.ts). */
  calibrate?: string[];
  /** false (`--no-winograd`): CPU sessions keep wide 3×3 convs direct (core/runtime/winograd_pass.ts). */
  winograd?: boolean;
  batchSize?: string;
  sample?: boolean;
  json?: boolean;
  ema?: boolean;
}

/** Parses a positive integer flag, naming it when it is not one. */
export function intFlag(value: string | undefined, flag: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new UsageError(`${flag}: expected a positive integer, got '${value}'`);
  }
  return n;
}

/**
 * Loads the tokenizer the flags name; says so on stderr when its weights are random. `programs`:
 * the programs the command runs (only their graphs' weights are kept; default: all).
 */
export async function tokenizerFromFlags(
  f: ModelFlags,
  programs?: readonly ProgramName[],
): Promise<Tokenizer> {
  const precision = parsePrecision(f.precision, f.device, "--precision");
  const opts: LoadOptions = {
    programs,
    weights: f.weights,
    random: f.random,
    seed: f.seed === undefined ? undefined : Number(f.seed),
    device: f.device,
    threads: intFlag(f.threads, "--threads"),
    precision,
    calibrate: calibrateFlag(f.calibrate, precision),
    batchSize: intFlag(f.batchSize, "--batch-size"),
    sample: f.sample,
    ema: f.ema,
    ...(f.winograd === false ? { winograd: false } : {}),
  };
  if (f.weights && !existsSync(f.weights)) {
    throw new UsageError(`--weights ${f.weights}: no such file or folder`);
  }
  const tok = await loadTokenizer(f.model, opts);
  if (tok.randomWeights) {
    console.error(
      `note: ${tok.info.family}/${tok.info.variant} runs with RANDOM weights (seed ${
        opts.seed ?? 0
      }); outputs are not meaningful`,
    );
  }
  return tok;
}

/** Creates the output folder; a path that cannot be one is a UsageError naming `flag`. */
export function outDir(path: string | undefined, flag = "--out"): string {
  if (!path) throw new UsageError(`${flag}: required`);
  checkOutput(path, flag);
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    throw new UsageError(`${flag} ${path}: cannot create the folder (${(e as Error).message})`);
  }
  return path;
}

/** Progress on stderr: a bar redrawn in place on a terminal, a line per step otherwise. */
export class Progress {
  private readonly tty = !!(process.stderr as { isTTY?: boolean }).isTTY;
  private readonly start = performance.now();
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly quiet = false,
  ) {}
  update(done: number): void {
    if (this.quiet) return;
    const s = (performance.now() - this.start) / 1000;
    const rate = done / Math.max(s, 1e-9);
    const eta = done ? (this.total - done) / rate : 0;
    const width = 24;
    const fill = Math.round((done / this.total) * width);
    const line = `${this.label} [${"#".repeat(fill)}${".".repeat(width - fill)}] ${done}/${this.total} ` +
      `${rate.toFixed(2)} img/s, ETA ${eta.toFixed(0)} s`;
    if (this.tty) process.stderr.write(`\r${line}${done === this.total ? "\n" : ""}`);
    else console.error(line);
  }
}
