/**
 * Runs fuzz cases in child processes (run.ts) under a watchdog: a case that
 * runs past {@link LIMITS}.caseMs is killed (a hang), the child restarts
 * after it, and every case's time, peak RSS and outcome are tallied. A case
 * fails the run when it throws anything but a UsageError, takes longer than
 * the time limit, or its peak RSS passes the memory limit.
 *
 * @example
 * ```ts
 * import { fuzzTarget } from "./driver.ts";
 * const stats = await fuzzTarget("npy", { cases: 200, seed: 1 });
 * ```
 * @module
 */
import { TextLineStream } from "./lines.ts";

/** Limits of one case. */
export const LIMITS = {
  /** Wall time of one case, ms. */
  caseMs: 5000,
  /** Peak RSS of the process during one case, MiB (a Deno process with sharp loaded sits near 100). */
  rssMiB: 1024,
};

/** One failing case. */
export interface Failure {
  case: number;
  kind: "untyped" | "hang" | "slow" | "memory" | "crash";
  detail: string;
}

/** What a target's run found. */
export interface Stats {
  target: string;
  seed: number;
  cases: number;
  ok: number;
  usage: number;
  untyped: number;
  hangs: number;
  slow: number;
  overMemory: number;
  maxMs: number;
  maxRssMiB: number;
  failures: Failure[];
}

const RUN = new URL("./run.ts", import.meta.url).pathname;

/** Spawns run.ts with `args`; calls `onLine` per stdout line; resolves when the child exits or is killed. */
async function child(args: string[], onLine: (line: string) => void, watch: () => boolean): Promise<number> {
  const tmp = Deno.makeTempDirSync({ prefix: "tok1d-fuzz-" });
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", RUN, ...args],
    env: { TOK1D_FUZZ_TMP: tmp },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const timer = setInterval(() => {
    if (watch()) {
      try {
        proc.kill("SIGKILL");
      } catch { /* already gone */ }
    }
  }, 100);
  try {
    for await (
      const line of proc.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(new TextLineStream())
    ) {
      onLine(line);
    }
    return (await proc.status).code;
  } finally {
    clearInterval(timer);
    Deno.removeSync(tmp, { recursive: true });
  }
}

/** Fuzzes one target with `cases` cases from `seed` (cases `from`..`from + cases`). */
export async function fuzzTarget(
  target: string,
  opts: { cases: number; seed: number; from?: number; limits?: Partial<typeof LIMITS> },
): Promise<Stats> {
  const limits = { ...LIMITS, ...opts.limits };
  const s: Stats = {
    target,
    seed: opts.seed,
    cases: 0,
    ok: 0,
    usage: 0,
    untyped: 0,
    hangs: 0,
    slow: 0,
    overMemory: 0,
    maxMs: 0,
    maxRssMiB: 0,
    failures: [],
  };
  const end = (opts.from ?? 0) + opts.cases;
  let next = opts.from ?? 0;
  while (next < end) {
    let current = -1, started = 0, hung = false;
    const code = await child([target, String(opts.seed), String(next), String(end)], (line) => {
      const [tag, i, ms, rss, kind, ...msg] = line.split(" ");
      if (tag === "S") [current, started] = [Number(i), performance.now()];
      if (tag !== "E") return;
      const n = Number(i), t = Number(ms), peak = Number(rss), detail = msg.join(" ");
      s.cases++;
      s.maxMs = Math.max(s.maxMs, t);
      s.maxRssMiB = Math.max(s.maxRssMiB, peak);
      if (kind === "ok") s.ok++;
      else if (kind === "usage") s.usage++;
      else (s.untyped++, s.failures.push({ case: n, kind: "untyped", detail }));
      if (t > limits.caseMs) (s.slow++, s.failures.push({ case: n, kind: "slow", detail: `${t} ms` }));
      if (peak > limits.rssMiB) {
        (s.overMemory++, s.failures.push({ case: n, kind: "memory", detail: `${peak} MiB` }));
      }
      [current, next] = [-1, n + 1];
    }, () => (hung = current >= 0 && performance.now() - started > limits.caseMs + 1000));
    if (current >= 0) { // killed on a hang, or died inside a case (out of memory, a crash)
      s.cases++;
      if (hung) {
        (s.hangs++, s.failures.push({ case: current, kind: "hang", detail: `> ${limits.caseMs} ms` }));
      } else {(s.untyped++,
          s.failures.push({ case: current, kind: "crash", detail: `child exited with ${code}` }));}
      next = current + 1;
    } else if (code !== 0) {
      throw new Error(`fuzz child for ${target} failed before its first case (exit ${code})`);
    }
  }
  return s;
}

/** Runs one crafted case (crafted.ts) in its own process: outcome, time, peak RSS. */
export async function runCrafted(
  name: string,
): Promise<{ kind: string; ms: number; rssMiB: number; detail: string }> {
  let out = { kind: "hang", ms: NaN, rssMiB: NaN, detail: "" }, started = 0;
  await child(["--crafted", name], (line) => {
    const [tag, , ms, rss, kind, ...msg] = line.split(" ");
    if (tag === "S") started = performance.now();
    if (tag === "E") out = { kind, ms: Number(ms), rssMiB: Number(rss), detail: msg.join(" ") };
  }, () => started > 0 && out.kind === "hang" && performance.now() - started > 30_000);
  return out;
}
