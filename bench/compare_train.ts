/**
 * tok1d's train step (one ONNX graph on ONNX Runtime) vs PyTorch eager autograd
 * (bench/torch_train.py, Debian's torch) on TiTok single-stage VQ training:
 * same weights, same batch, same threads, same optimizer recipe.
 *
 *   deno run -A bench/compare_train.ts [--configs tiny_vq,s128_single] [--threads 2] [--rounds 3]
 *     [--steps tiny_vq=20,s128_single=6] [--warmup 2] [--lr 1e-4] [--python /usr/bin/python3]
 *     [--torch-env tuned|installed] [--json out.json] [--keep dir]
 *
 * Per config (bench/_train_util.ts): writes seeded weights (seed 0, noise on
 * biases and norms), a seeded batch and torch's arch.json to a temp dir; then in
 * each of `--rounds` rounds runs tok1d (bench/_train_worker.ts) and torch
 * (torch_train.py) in fresh processes, alternating which goes first. Each does
 * `--warmup` untimed steps then `--steps` timed ones on the same batch; a
 * round's figure is the median step, the table shows the median over rounds
 * with the min–max, and the median (min–max) of the rounds' own speed-ups (each round's two processes run
 * back to back, so its ratio cancels most of the host's drift). Peak memory is each process's VmHWM (max
 * over rounds).
 * Correctness comes first: the losses of the first steps of round 1 from both
 * sides (same weights and batch, so step 1 must agree; later steps also check
 * clip + AdamW + the straight-through gradients).
 *
 * The torch environment is tuned as in bench/compare.ts (OPENBLAS_CORETYPE from
 * the CPU flags, OMP_WAIT_POLICY=PASSIVE, OPENBLAS_THREAD_TIMEOUT=4); see
 * bench/README.md for why.
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeNpy } from "../core/data/npy.ts";
import { writeSafetensors } from "../core/weights/safetensors.ts";
import { benchWeights, buildBenchStep, torchArch, TRAIN_CONFIGS } from "./_train_util.ts";
import { median, randomImages } from "./_titok_util.ts";
import { torchEnvironment } from "./_torch_env.ts";

const { values: args } = parseArgs({
  options: {
    configs: { type: "string", default: "tiny_vq,s128_single" },
    threads: { type: "string", default: "2" },
    rounds: { type: "string", default: "3" },
    steps: { type: "string", default: "tiny_vq=20,s128_single=6" },
    warmup: { type: "string", default: "2" },
    lr: { type: "string", default: "1e-4" },
    python: { type: "string", default: "/usr/bin/python3" },
    "torch-env": { type: "string", default: "tuned" },
    json: { type: "string" },
    keep: { type: "string" },
  },
});
const configs = args.configs.split(",");
for (const c of configs) {
  if (!TRAIN_CONFIGS[c]) throw new Error(`--configs: unknown '${c}'; known: ${Object.keys(TRAIN_CONFIGS)}`);
}
const stepsOf = Object.fromEntries(args.steps.split(",").map((kv) => kv.split("=")).map(([k, v]) => [k, v]));
const threads = args.threads;
const rounds = Number(args.rounds);
const WORKER = new URL("./_train_worker.ts", import.meta.url).pathname;
const TORCH = new URL("./torch_train.py", import.meta.url).pathname;

const { env: torchEnv, tunedVars } = torchEnvironment(args["torch-env"]);

interface Run {
  median_s: number;
  median_cpu_s: number;
  vmhwm_kib: number;
  rss_ready_kib: number;
  log: { step: number; loss: number; terms: Record<string, number>; grad_norm: number; warmup: boolean }[];
  [k: string]: unknown;
}

function runJson(cmd: string, argv: string[], env?: Record<string, string>): Run {
  const out = execFileSync(cmd, argv, { env, encoding: "utf8", maxBuffer: 1 << 26 });
  return JSON.parse(out.trim().split("\n").pop()!);
}

interface Row {
  config: string;
  batch: number;
  steps: number;
  tok1d: Run[];
  torch: Run[];
}
const rowsOut: Row[] = [];
const loadStart = Deno.loadavg()[0];
const root = args.keep ?? Deno.makeTempDirSync({ prefix: "tok1d-compare-train-" });
const fmt = (x: number) =>
  x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3);
const range = (xs: number[]) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
const mib = (kib: number) => `${(kib / 1024).toFixed(0)}`;

try {
  for (const key of configs) {
    const c = TRAIN_CONFIGS[key];
    const dir = join(root, key);
    mkdirSync(dir, { recursive: true });
    const step = buildBenchStep(c);
    writeSafetensors(join(dir, "model.safetensors"), benchWeights(step, 0));
    const size = c.config.dataset.preprocessing.crop_size;
    writeNpy(join(dir, "image.npy"), randomImages(c.batch, size, 7));
    writeFileSync(join(dir, "arch.json"), JSON.stringify(torchArch(c)));
    const steps = stepsOf[key] ?? "5";
    const common = ["--threads", threads, "--steps", steps, "--warmup", args.warmup, "--lr", args.lr];
    const files = ["--weights", join(dir, "model.safetensors"), "--image", join(dir, "image.npy")];
    const row: Row = { config: key, batch: c.batch, steps: Number(steps), tok1d: [], torch: [] };
    const tok1d = () => runJson(Deno.execPath(), ["run", "-A", WORKER, "--config", key, ...files, ...common]);
    const torch = () =>
      runJson(args.python, [TORCH, "--config", join(dir, "arch.json"), ...files, ...common], torchEnv);
    for (let r = 0; r < rounds; r++) {
      // Alternate the order so that a slow phase of the shared machine does not always hit one side.
      if (r % 2 === 0) row.tok1d.push(tok1d()), row.torch.push(torch());
      else row.torch.push(torch()), row.tok1d.push(tok1d());
      console.error(
        `[${key}] round ${r + 1}/${rounds}: tok1d ${fmt(row.tok1d.at(-1)!.median_s)} s/step, ` +
          `torch ${fmt(row.torch.at(-1)!.median_s)} s/step`,
      );
    }
    rowsOut.push(row);
  }
} finally {
  if (!args.keep) rmSync(root, { recursive: true, force: true });
}

// Report.
const t0 = rowsOut[0]?.torch[0] ?? {};
const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1];
console.log(
  `\nTiTok single-stage VQ train step (forward, loss, backward, clip 1.0, AdamW, EMA), seeded weights, ` +
    `${threads} threads, ${rounds} rounds × (${args.warmup} warm-up + N timed steps); s/step = median over ` +
    `rounds of each round's median step (min–max); CPU s = process CPU time (all threads) per step, median; ` +
    `peak RSS = max VmHWM over rounds, MiB (ready = RSS once weights, state and session are set up)`,
);
console.log(`1-min load average at start / end: ${loadStart.toFixed(1)} / ${Deno.loadavg()[0].toFixed(1)}`);
console.log(
  `CPU: ${cpu}; tok1d: ONNX Runtime 1.30 (engine ${
    rowsOut[0]?.tok1d[0]?.engine
  }), Deno ${Deno.version.deno}; torch ${t0.torch}, ` +
    `OpenBLAS kernel ${t0.openblas_core}; torch env: ${tunedVars || "as installed"}\n`,
);
const header = [
  "config",
  "batch",
  "N",
  "tok1d s/step",
  "torch s/step",
  "speed-up (torch/tok1d)",
  "paired speed-up: median (min–max)",
  "CPU s/step tok1d / torch",
  "tok1d peak RSS",
  "torch peak RSS",
];
const secs = (rs: Run[]) => rs.map((r) => r.median_s);
const peak = (rs: Run[]) => Math.max(...rs.map((r) => r.vmhwm_kib));
const ready = (rs: Run[]) => Math.max(...rs.map((r) => r.rss_ready_kib));
/**
 * The speed-up of each round, its two processes run back to back: the host's speed drifts by ±15 % over
 * minutes, and a round's ratio cancels most of that drift.
 */
const paired = (r: Row) => r.tok1d.map((t, i) => r.torch[i].median_s / t.median_s);
const pairedRange = (r: Row) => {
  const p = paired(r);
  return `${median(p).toFixed(2)}× (${Math.min(...p).toFixed(2)}–${Math.max(...p).toFixed(2)})`;
};
const table = rowsOut.map((r) => [
  TRAIN_CONFIGS[r.config].name,
  String(r.batch),
  String(r.steps),
  range(secs(r.tok1d)),
  range(secs(r.torch)),
  `${(median(secs(r.torch)) / median(secs(r.tok1d))).toFixed(2)}×`,
  pairedRange(r),
  `${fmt(median(r.tok1d.map((x) => x.median_cpu_s)))} / ${fmt(median(r.torch.map((x) => x.median_cpu_s)))}`,
  `${mib(peak(r.tok1d))} (ready ${mib(ready(r.tok1d))})`,
  `${mib(peak(r.torch))} (ready ${mib(ready(r.torch))})`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of table) console.log(line(row));

console.log(
  "\nCorrectness (round 1, same weights and batch): loss per step, tok1d vs torch, relative difference",
);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
for (const r of rowsOut) {
  const a = r.tok1d[0].log, b = r.torch[0].log;
  const diffs = a.map((s, i) => rel(s.loss, b[i].loss));
  const worst = diffs.indexOf(Math.max(...diffs));
  const terms = Object.keys(a[0].terms).map((k) =>
    `${k} ${rel(a[0].terms[k], b[0].terms[k]).toExponential(1)}`
  ).join(", ");
  console.log(
    `  ${TRAIN_CONFIGS[r.config].name}: step 1 loss ${a[0].loss.toPrecision(7)} vs ${
      b[0].loss.toPrecision(7)
    } ` +
      `(${diffs[0].toExponential(1)}); steps 1–${a.length}: max ${diffs[worst].toExponential(1)} at step ` +
      `${worst + 1}; last ${a.at(-1)!.loss.toPrecision(7)} vs ${b.at(-1)!.loss.toPrecision(7)}`,
  );
  console.log(
    `    step 1 terms: ${terms}; grad norm ${a[0].grad_norm.toPrecision(6)} vs ` +
      `${b[0].grad_norm.toPrecision(6)} (${rel(a[0].grad_norm, b[0].grad_norm).toExponential(1)})`,
  );
}
if (args.json) {
  writeFileSync(args.json, JSON.stringify({ threads, rounds, torchEnv: tunedVars, rowsOut }));
}
