/**
 * `deno task bench:upstream`: tok1d against the upstream-equivalent PyTorch
 * (bench/torch_titok.py on Debian's torch, in its tuned environment) on
 * TiTok-S-128- and L-32-shaped models, batch 1 and 4, encode and decode, in
 * alternating rounds; per cell the median seconds of both sides, the ratio
 * upstream / tok1d with the min–max of the rounds' own ratios, each side's
 * peak RSS and load time. Each side runs in a fresh process per (model,
 * batch, round), so peak RSS and load time are that process's. `--families
 * alit,bdd` then runs bench/compare_alit.ts and bench/compare_bdd.ts.
 * Without python3, numpy or torch it says which Debian package is missing and
 * times tok1d alone (exit 2 instead when `--torch on` asked for torch).
 * @module
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchArgs, nonNegative, positiveInt, usageCheck } from "./_cli.ts";
import { type CellRounds, type SideRun, summarize, table } from "./_upstream_report.ts";
import { weightsPath } from "./_upstream_weights.ts";
import { torchEnvironment } from "./_torch_env.ts";

const USAGE = `
deno task bench:upstream [options]       tok1d vs upstream-equivalent PyTorch, side by side

  --models s128,l32      TiTok presets (s128, l32, tiny); random weights of their shapes
  --batches 1,4          batch sizes
  --rounds 3             alternating rounds (odd rounds tok1d first, even rounds torch first)
  --iters 3 --warmup 1 --min-time 1
                         per process and phase: untimed calls, then timed calls until both counts
  --threads 2            intra-op threads of both sides
  --spinning default|off|on|<µs>
                         ORT's idle workers: tok1d's CPU default (spin 50 µs, then sleep, as torch's tuned
                         OMP_WAIT_POLICY=PASSIVE threads sleep), sleep at once, ORT's full spin, or a budget
  --torch auto|on|off    auto: compare when python3 imports torch and numpy, else tok1d alone;
                         on: exit 2 if it cannot; off (or --no-torch): tok1d alone
  --python /usr/bin/python3   --torch-env tuned|installed (bench/README.md, "Debian torch's environment")
  --families titok[,alit,bdd] alit and bdd run bench/compare_alit.ts and bench/compare_bdd.ts (torch needed)
  --no-check             skip the parity check (2 images through both sides per model)
  --dir DIR              where the random checkpoints are cached (default: $TMPDIR/tok1d-bench-upstream)
  --json out.json        everything measured, machine-readable
  --quick                smoke test: titok/tiny, 1 round, 1 timed call per phase
  -h, --help
`;

const o = benchArgs(USAGE, {
  models: { type: "string" },
  batches: { type: "string", default: "1,4" },
  rounds: { type: "string" },
  iters: { type: "string" },
  warmup: { type: "string" },
  "min-time": { type: "string" },
  threads: { type: "string", default: "2" },
  spinning: { type: "string", default: "default" },
  torch: { type: "string", default: "auto" },
  "no-torch": { type: "boolean", default: false },
  python: { type: "string", default: "/usr/bin/python3" },
  "torch-env": { type: "string", default: "tuned" },
  families: { type: "string", default: "titok" },
  "no-check": { type: "boolean", default: false },
  dir: { type: "string", default: join(tmpdir(), "tok1d-bench-upstream") },
  json: { type: "string" },
  quick: { type: "boolean", default: false },
});

// Flags, all checked before any work.
const q = o.quick;
const models = (o.models ?? (q ? "tiny" : "s128,l32")).split(",");
for (const m of models) usageCheck(["s128", "l32", "tiny"].includes(m), `--models: unknown preset '${m}'`);
const batches = o.batches.split(",").map((b) => positiveInt("batches", b));
const rounds = positiveInt("rounds", o.rounds ?? (q ? "1" : "3"));
const iters = positiveInt("iters", o.iters ?? (q ? "1" : "3"));
const warmup = nonNegative("warmup", o.warmup ?? (q ? "0" : "1"));
const minTime = nonNegative("min-time", o["min-time"] ?? (q ? "0" : "1"));
const threads = positiveInt("threads", o.threads);
usageCheck(
  ["default", "on", "off"].includes(o.spinning) || /^\d+$/.test(o.spinning),
  `--spinning: expected default, on, off or microseconds, got '${o.spinning}'`,
);
usageCheck(["auto", "on", "off"].includes(o.torch), `--torch: expected auto, on or off, got '${o.torch}'`);
usageCheck(!(o["no-torch"] && o.torch === "on"), "--no-torch contradicts --torch on");
usageCheck(["tuned", "installed"].includes(o["torch-env"]), `--torch-env: expected tuned or installed`);
const families = o.families.split(",");
for (const f of families) {
  usageCheck(["titok", "alit", "bdd"].includes(f), `--families: unknown family '${f}'`);
}
const torchMode = o["no-torch"] ? "off" : o.torch;

/** Which Debian package is missing for the torch side, or undefined when it can run. */
function missingTorch(python: string): string | undefined {
  if (!existsSync(python)) return `python3 (${python} not found)`;
  try {
    execFileSync(python, ["-c", "import numpy, torch"], { stdio: "pipe" });
    return undefined;
  } catch (e) {
    const err = String((e as { stderr?: unknown }).stderr ?? e);
    const module = /No module named '(\w+)/.exec(err)?.[1];
    return module === "numpy"
      ? "python3-numpy"
      : module === "torch"
      ? "python3-torch"
      : `python3-torch (${err})`;
  }
}
const missing = torchMode === "off" ? undefined : missingTorch(o.python);
usageCheck(
  !(missing && torchMode === "on"),
  `--torch on: ${o.python} cannot import torch; install ${missing}`,
);
const withTorch = torchMode !== "off" && !missing;
if (missing) console.log(`note: no PyTorch side (missing Debian package ${missing}); timing tok1d alone`);

// -A: reading /proc/cpuinfo and /proc/self/status needs every permission under Deno 2.
const DENO = [Deno.execPath(), "run", "-A"];
const here = (f: string) => new URL(f, import.meta.url).pathname;
const { env: torchEnv, tunedVars } = torchEnvironment(o["torch-env"]);
const loads: number[] = [Deno.loadavg()[0]];

/** Runs a process and parses the JSON object on its last stdout line. */
function jsonOf(cmd: string[], env?: Record<string, string>): Record<string, unknown> {
  loads.push(Deno.loadavg()[0]);
  const out = execFileSync(cmd[0], cmd.slice(1), {
    env,
    encoding: "utf8",
    maxBuffer: 1 << 24,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}
const side = (r: Record<string, unknown>): SideRun => {
  const phase = (k: string) => r[k] as { median_s: number; cpu_s?: number };
  const cpu = phase("encode").cpu_s !== undefined
    ? { encode: phase("encode").cpu_s!, decode: phase("decode").cpu_s! }
    : undefined;
  return {
    encode: phase("encode").median_s,
    decode: phase("decode").median_s,
    load: r.load_s as number,
    peakMiB: r.peak_mib as number,
    cpu,
  };
};
const timing = ["--threads", String(threads), "--iters", String(iters), "--warmup", String(warmup)];
timing.push("--min-time", String(minTime));

const cells: CellRounds[] = [];
const parity: Record<string, unknown>[] = [];
let torchInfo: Record<string, unknown> = {};
if (families.includes("titok")) {
  for (const model of models) {
    const weights = weightsPath(o.dir, model);
    if (!existsSync(weights)) {
      console.error(`[${model}] writing random weights to ${weights}`);
      execFileSync(DENO[0], [
        ...DENO.slice(1),
        here("./_upstream_weights.ts"),
        "--preset",
        model,
        "--dir",
        o.dir,
      ], {
        stdio: "inherit",
      });
    }
    if (withTorch && !o["no-check"]) {
      const dir = join(o.dir, `check-${model}-${Deno.pid}`);
      mkdirSync(dir, { recursive: true });
      try {
        jsonOf([
          ...DENO,
          here("./_upstream_worker.ts"),
          "--preset",
          model,
          "--weights",
          weights,
          "--check",
          dir,
        ]);
        const c = jsonOf([
          o.python,
          here("./torch_titok.py"),
          "--weights",
          weights,
          "--preset",
          model,
          "--check",
          dir,
        ], torchEnv);
        parity.push(c);
        console.error(`[${model}] parity: ${JSON.stringify(c)}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    for (const batch of batches) cells.push({ model, batch, tok1d: [], upstream: [] });
  }
  for (let r = 0; r < rounds; r++) {
    for (const cell of cells) {
      const weights = weightsPath(o.dir, cell.model);
      const common = ["--preset", cell.model, "--weights", weights, "--batch", String(cell.batch), ...timing];
      const runTok1d = () => {
        cell.tok1d.push(
          side(jsonOf([...DENO, here("./_upstream_worker.ts"), ...common, "--spinning", o.spinning])),
        );
      };
      const runTorch = () => {
        const t = jsonOf([o.python, here("./torch_titok.py"), ...common], torchEnv);
        torchInfo = { torch: t.torch, openblas_core: t.openblas_core };
        cell.upstream.push(side(t));
      };
      const order = !withTorch ? [runTok1d] : r % 2 === 0 ? [runTok1d, runTorch] : [runTorch, runTok1d];
      for (const run of order) run();
      const t = cell.tok1d.at(-1)!, u = cell.upstream.at(-1);
      const fmt = (s?: SideRun) =>
        s
          ? `encode ${s.encode.toFixed(3)} s, decode ${s.decode.toFixed(3)} s, load ${
            s.load.toFixed(2)
          } s, ` +
            `peak ${s.peakMiB.toFixed(0)} MiB`
          : "—";
      console.error(
        `[${cell.model} b${cell.batch} round ${r + 1}/${rounds}] tok1d ${fmt(t)} | upstream ${fmt(u)}`,
      );
    }
  }
  loads.push(Deno.loadavg()[0]);
}

const rows = summarize(cells);
if (cells.length) {
  const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1];
  console.log(
    `\nTiTok, random weights, ${threads} threads, ${rounds} alternating round(s), per process and phase ` +
      `${warmup} warm-up + ≥ ${iters} timed calls and ≥ ${minTime} s; seconds per call (median over rounds)`,
  );
  console.log(
    `CPU ${cpu}; 1-min load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}; ` +
      `ORT spinning ${o.spinning}; ` +
      (withTorch
        ? `upstream: bench/torch_titok.py, torch ${torchInfo.torch}, OpenBLAS ${torchInfo.openblas_core}, ` +
          `env ${tunedVars || "as installed"}`
        : "upstream: not run"),
  );
  console.log(
    "Peak RSS and load (weights read + sessions opened / model built) are per process: one model and batch, both phases.\n",
  );
  console.log(table(rows));
  for (const c of parity) {
    console.log(
      `parity titok/${c.preset}: tokens ${c.tokens_equal}/${c.tokens_total} equal; max |Δ| latent ${
        Number(c.latent_max_abs_diff).toExponential(1)
      }, decode ${Number(c.decode_max_abs_diff).toExponential(1)}, reconstruction ${
        Number(c.recon_max_abs_diff).toExponential(1)
      } (max |recon| ${Number(c.recon_max_abs).toFixed(2)})`,
    );
  }
}

// The other families' comparisons, as their own scripts measure them.
const delegated: Record<string, unknown> = {};
for (const family of families.filter((f) => f !== "titok")) {
  if (!withTorch) {
    console.log(`note: --families ${family} skipped: it compares against torch, which is not available`);
    continue;
  }
  const script = here(`./compare_${family}.ts`);
  const json = join(o.dir, `compare_${family}-${Deno.pid}.json`);
  const args = ["--rounds", String(rounds), "--threads", String(threads)];
  args.push("--spinning", o.spinning);
  args.push("--python", o.python, "--torch-env", o["torch-env"], "--json", json);
  if (q) args.push(...(family === "bdd" ? ["--model", "tiny"] : ["--cases", "decode"]));
  console.log(`\n${family}: deno run -A bench/compare_${family}.ts ${args.slice(0, -2).join(" ")}`);
  execFileSync(DENO[0], [...DENO.slice(1), script, ...args], { stdio: "inherit" });
  delegated[family] = JSON.parse(readFileSync(json, "utf8"));
  rmSync(json, { force: true });
}

if (o.json) {
  const report = {
    threads,
    rounds,
    iters,
    warmup,
    minTime,
    spinning: o.spinning,
    loadAverage: { min: Math.min(...loads), max: Math.max(...loads) },
    torch: withTorch ? { ...torchInfo, env: tunedVars } : { missing: missing ?? "off" },
    rows,
    cells,
    parity,
    families: delegated,
  };
  writeFileSync(`${o.json}.tmp`, JSON.stringify(report, null, 2));
  renameSync(`${o.json}.tmp`, o.json);
}
