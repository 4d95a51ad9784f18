/**
 * tok1d (ONNX Runtime) vs PyTorch eager (bench/torch_titok.py, Debian's torch)
 * on TiTok encode and decode, same random weights, same thread count.
 *
 *   deno run -A bench/compare.ts [--models s128,tiny] [--batches 1,4] [--threads 2]
 *     [--rounds 3] [--iters 3] [--warmup 1] [--min-time 1] [--python /usr/bin/python3]
 *     [--torch-env tuned|installed] [--json out.json] [--keep dir]
 *
 * Per model: (a) loads `titok/<model>` with seeded random weights, gives every
 * bias and norm parameter seeded noise (the initialiser sets them to 0 and 1, and
 * a check on those values would not notice a misplaced bias), exports the graphs
 * and `model.safetensors` to a temp dir; (b) checks correctness: torch reads the
 * safetensors with strict=True and encodes/decodes the same images; tokens,
 * latents and reconstructions are compared; (c) times, in each of `--rounds`
 * rounds and for each batch size, tok1d in-process then torch in a subprocess,
 * `--warmup` untimed calls, then timed calls until there are `--iters` of them
 * and `--min-time` seconds; a round's figure is the median call, the table shows
 * the median over rounds and the min–max range of the round figures.
 *
 * Debian's torch is tuned through its environment (`--torch-env tuned`, the
 * default; `installed` passes the environment through unchanged):
 * - OPENBLAS_CORETYPE: its OpenBLAS picks kernels from the CPU model and falls
 *   back to the SSE3 "Prescott" kernel on this machine's virtual CPU; tuned sets
 *   SkylakeX when the CPU has AVX-512 (Haswell with AVX2).
 * - OMP_WAIT_POLICY=PASSIVE and OPENBLAS_THREAD_TIMEOUT=4: torch's OpenMP pool
 *   and OpenBLAS's own pthread pool otherwise busy-wait against each other on 2
 *   cores, and every small op waits for a time slice.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportOnnx } from "../core/export.ts";
import { writeNpy } from "../core/data/npy.ts";
import { loadTokenizer } from "../core/tokenizer.ts";
import { median, perturbBiasesAndNorms, randomImages, timeCalls } from "./_titok_util.ts";
import { torchEnvironment } from "./_torch_env.ts";
import { benchArgs } from "./_cli.ts";

const USAGE = `tok1d (ONNX Runtime) vs PyTorch eager (bench/torch_titok.py) on TiTok encode and decode.

  deno run -A bench/compare.ts [--models s128,tiny] [--batches 1,4] [--threads 2]
    [--rounds 3] [--iters 3] [--warmup 1] [--min-time 1] [--python /usr/bin/python3]
    [--torch-env tuned|installed] [--json out.json] [--keep dir]

Side-by-side with fresh processes, peak RSS and load time: deno task bench:upstream --help.`;
const args = benchArgs(USAGE, {
  models: { type: "string", default: "s128,tiny" },
  batches: { type: "string", default: "1,4" },
  threads: { type: "string", default: "2" },
  rounds: { type: "string", default: "3" },
  iters: { type: "string", default: "3" },
  warmup: { type: "string", default: "1" },
  "min-time": { type: "string", default: "1" },
  python: { type: "string", default: "/usr/bin/python3" },
  "torch-env": { type: "string", default: "tuned" },
  json: { type: "string" },
  keep: { type: "string" },
});
const models = args.models.split(",");
const batches = args.batches.split(",").map(Number);
const threads = Number(args.threads);
const rounds = Number(args.rounds);
const iters = Number(args.iters);
const warmup = Number(args.warmup);
const minTime = Number(args["min-time"]);
const TORCH = new URL("./torch_titok.py", import.meta.url).pathname;
const OPS = ["encode", "decode"] as const;
type Op = typeof OPS[number];

const { env: torchEnv, tunedVars } = torchEnvironment(args["torch-env"]);

function torch(extra: string[]): Record<string, unknown> {
  const out = execFileSync(args.python, [TORCH, ...extra], {
    env: torchEnv,
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out.trim().split("\n").pop()!);
}

const loadStart = Deno.loadavg()[0];
const root = args.keep ?? Deno.makeTempDirSync({ prefix: "tok1d-compare-" });
const fmt = (x: number) => x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
const range = (xs: number[]) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;

interface Row {
  model: string;
  batch: number;
  op: Op;
  tok1d: number[];
  torch: number[];
}
const rowsOut: Row[] = [];
const checks: Record<string, unknown>[] = [];
let torchInfo: Record<string, unknown> = {};

try {
  for (const model of models) {
    const dir = join(root, model);
    mkdirSync(dir, { recursive: true });
    const maxBatch = Math.max(...batches);
    const tok = await loadTokenizer(`titok/${model}`, {
      random: true,
      seed: 0,
      threads,
      batchSize: maxBatch,
    });
    perturbBiasesAndNorms(tok.weights, 1);
    exportOnnx(tok, dir);
    const weights = join(dir, "model.safetensors");
    const size = tok.info.imageSize;

    // Correctness first: the same 2 images through both implementations.
    const images = randomImages(2, size, 7);
    const enc = await tok.encode(images);
    const recon = await tok.decodeLatent(enc.latent!);
    writeNpy(join(dir, "image.npy"), images);
    writeNpy(join(dir, "tokens.npy"), enc.tokens);
    writeNpy(join(dir, "latent.npy"), enc.latent!);
    writeNpy(join(dir, "recon.npy"), recon);
    const check = torch([
      "--weights",
      weights,
      "--preset",
      model,
      "--threads",
      String(threads),
      "--check",
      dir,
    ]);
    checks.push(check);
    console.error(`[${model}] check: ${JSON.stringify(check)}`);

    // Timing: inputs per batch size; the latent decoded is tok1d's own encoding of the images.
    const inputs = new Map(batches.map((b) => {
      const x = randomImages(b, size, 0);
      return [b, { images: x, latent: undefined as typeof enc.latent | undefined }];
    }));
    for (const [, v] of inputs) v.latent = (await tok.encode(v.images)).latent;
    const timings = new Map<string, Row>();
    for (let r = 0; r < rounds; r++) {
      for (const b of batches) {
        const { images: x, latent } = inputs.get(b)!;
        const tokTimes = {
          encode: median(await timeCalls(() => tok.encode(x), warmup, iters, minTime)),
          decode: median(await timeCalls(() => tok.decodeLatent(latent!), warmup, iters, minTime)),
        };
        const t = torch([
          "--weights",
          weights,
          "--preset",
          model,
          "--threads",
          String(threads),
          "--batch",
          String(b),
          "--iters",
          String(iters),
          "--warmup",
          String(warmup),
          "--min-time",
          String(minTime),
        ]);
        torchInfo = { torch: t.torch, openblas_core: t.openblas_core };
        for (const op of OPS) {
          const key = `${b}/${op}`;
          if (!timings.has(key)) timings.set(key, { model, batch: b, op, tok1d: [], torch: [] });
          const row = timings.get(key)!;
          row.tok1d.push(b / tokTimes[op]);
          row.torch.push(b / (t[op] as { median_s: number }).median_s);
          console.error(
            `[${model}] round ${r + 1}/${rounds} batch ${b} ${op}: tok1d ${fmt(b / tokTimes[op])} img/s, ` +
              `torch ${fmt(row.torch.at(-1)!)} img/s`,
          );
        }
      }
    }
    await tok.release();
    rowsOut.push(...timings.values());
  }
} finally {
  if (!args.keep) rmSync(root, { recursive: true, force: true });
}

// Report.
const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1];
console.log(
  `\nTiTok encode/decode, random weights, ${threads} threads, ${rounds} rounds × ≥ ${iters} timed calls ` +
    `(+${warmup} warm-up, ≥ ${minTime} s per measurement); img/s = median over rounds (min–max of the round medians)`,
);
console.log(`1-min load average at start / end: ${loadStart.toFixed(1)} / ${Deno.loadavg()[0].toFixed(1)}`);
console.log(
  `CPU: ${cpu}; tok1d: ONNX Runtime (Node binding), Deno ${Deno.version.deno}; torch ${torchInfo.torch}, ` +
    `OpenBLAS kernel ${torchInfo.openblas_core}; torch env: ${tunedVars || "as installed"}\n`,
);
const header = ["model", "batch", "op", "tok1d img/s", "torch img/s", "tok1d/torch"];
const table = rowsOut.map((r) => [
  `titok/${r.model}`,
  String(r.batch),
  r.op,
  range(r.tok1d),
  range(r.torch),
  `${(median(r.tok1d) / median(r.torch)).toFixed(2)}×`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of table) console.log(line(row));

console.log("\nCorrectness (2 seeded images; max abs differences, torch vs tok1d):");
for (const c of checks) {
  console.log(
    `  titok/${c.preset}: tokens equal ${c.tokens_equal}/${c.tokens_total}; latent ${
      Number(c.latent_max_abs_diff).toExponential(2)
    }; decode of tok1d's latent ${Number(c.decode_max_abs_diff).toExponential(2)}; ` +
      `full reconstruction ${Number(c.recon_max_abs_diff).toExponential(2)} (max |recon| ${
        Number(c.recon_max_abs).toFixed(2)
      })`,
  );
}
if (args.json) {
  writeFileSync(
    args.json,
    JSON.stringify({
      threads,
      rounds,
      iters,
      warmup,
      minTime,
      torchEnv: tunedVars,
      torchInfo,
      rowsOut,
      checks,
    }),
  );
}
