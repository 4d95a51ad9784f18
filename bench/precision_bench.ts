/**
 * Speed of `--precision` against tuned PyTorch (bench/torch_titok.py, Debian's
 * torch in its best environment, bench/_torch_env.ts) on TiTok-shaped models
 * with seeded random weights: encode and decode (of the fp32 encoder's
 * latent) at one batch size, in alternating rounds — per round every
 * precision of tok1d in turn (each a fresh tokenizer, opened and released, so
 * only one model is resident), then torch in a subprocess.
 *
 *   deno run -A bench/precision_bench.ts [--models s128,l32] [--batch 4] [--threads 2]
 *     [--precisions fp32,int8-linear,int8,bf16] [--ops encode,decode] [--rounds 3] [--iters 2] [--warmup 1] [--min-time 0]
 *     [--no-torch] [--python /usr/bin/python3] [--json out.json]
 *
 * A round's figure is the median call; the table shows the median over rounds
 * and the min–max of the round figures, and each precision's ratio to torch
 * and to tok1d fp32. Results: bench/README.md "Precision".
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { exportOnnx } from "../core/export.ts";
import type { Precision } from "../core/runtime/precision.ts";
import { loadTokenizer, type Tokenizer } from "../core/tokenizer.ts";
import type { Calibration } from "../core/tokenizer_calibration.ts";
import { median, randomImages, Rng, timeCalls } from "./_titok_util.ts";
import { torchEnvironment } from "./_torch_env.ts";

type Op = "encode" | "decode";
const { values: args } = parseArgs({
  options: {
    models: { type: "string", default: "s128,l32" },
    batch: { type: "string", default: "4" },
    threads: { type: "string", default: "2" },
    precisions: { type: "string", default: "fp32,int8-linear,int8" },
    ops: { type: "string", default: "encode,decode" },
    rounds: { type: "string", default: "3" },
    iters: { type: "string", default: "2" },
    warmup: { type: "string", default: "1" },
    "min-time": { type: "string", default: "0" },
    "no-torch": { type: "boolean", default: false },
    python: { type: "string", default: "/usr/bin/python3" },
    json: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(
    "deno run -A bench/precision_bench.ts [--models s128,l32] [--batch 4] [--threads 2] " +
      "[--precisions fp32,int8-linear,int8,bf16] [--rounds 3] [--iters 2] [--warmup 1] [--min-time 0] [--no-torch] [--json f]",
  );
  Deno.exit(0);
}
const batch = Number(args.batch), threads = Number(args.threads), rounds = Number(args.rounds);
const iters = Number(args.iters), warmup = Number(args.warmup), minTime = Number(args["min-time"]);
/** A precision, or "int8-linear": int8 with convs left in fp32 (no calibration). */
const precisions = args.precisions.split(",") as (Precision | "int8-linear")[];
const ops = args.ops.split(",") as Op[];
const TORCH = new URL("./torch_titok.py", import.meta.url).pathname;
const { env: torchEnv, tunedVars } = torchEnvironment("tuned");

/**
 * The same seeded weights for every precision: random seed 0, biases and norms given noise (as
 * compare.ts); int8 with the activation ranges `calibration` recorded on those weights.
 */
async function open(
  model: string,
  precision: Precision,
  calibration?: Calibration,
  keep = false,
): Promise<Tokenizer> {
  const tok = await loadTokenizer(`titok/${model}`, {
    random: true,
    seed: 0,
    threads,
    batchSize: batch,
    precision,
    ...(calibration ? { calibration } : { calibrate: false as const }),
    keepWeights: keep,
  });
  const rng = new Rng(1);
  for (const [name, t] of tok.weights) {
    if (!/(bias|(ln_\w+|norm\w*)\.weight)$/.test(name)) continue;
    const d = t.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] += 0.05 * rng.normal();
  }
  return tok;
}

const fmt = (x: number) => x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
const range = (xs: number[]) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
/** img/s per round, by `model/op/precision` ("torch" for torch). */
const results = new Map<string, number[]>();
const push = (key: string, v: number) => results.set(key, [...(results.get(key) ?? []), v]);
const loads: number[] = [Deno.loadavg()[0]];
const root = Deno.makeTempDirSync({ prefix: "tok1d-precision-" });
try {
  for (const model of args.models.split(",")) {
    const dir = join(root, model);
    mkdirSync(dir, { recursive: true });
    const ref = await open(model, "fp32", undefined, true);
    const images = randomImages(batch, ref.info.imageSize, 0);
    if (!args["no-torch"]) exportOnnx(ref, dir);
    // int8: the built-in photos' ranges (core/tokenizer_calibration.ts); "int8-linear": convs fp32.
    const calibration = precisions.includes("int8") ? await ref.calibrate() : undefined;
    const latent = (await ref.encode(images)).latent!;
    await ref.release();
    for (let r = 0; r < rounds; r++) {
      for (const p of precisions) {
        const tok = p === "int8-linear" ? await open(model, "int8") : await open(model, p, calibration);
        const run: Record<Op, () => Promise<unknown>> = {
          encode: () => tok.encode(images),
          decode: () => tok.decodeLatent(latent),
        };
        for (const op of ops) {
          const v = batch / median(await timeCalls(run[op], warmup, iters, minTime));
          push(`${model}/${op}/${p}`, v);
          console.error(`[${model}] round ${r + 1} ${p}: ${op} ${fmt(v)} img/s`);
        }
        await tok.release();
      }
      if (!args["no-torch"]) {
        const out = execFileSync(args.python, [
          TORCH,
          "--weights",
          join(dir, "model.safetensors"),
          "--preset",
          model,
          "--threads",
          String(threads),
          "--batch",
          String(batch),
          "--iters",
          String(iters),
          "--warmup",
          String(warmup),
          "--min-time",
          String(minTime),
          "--ops",
          ops.join(","),
        ], { env: torchEnv, encoding: "utf8", maxBuffer: 1 << 24 });
        const t = JSON.parse(out.trim().split("\n").pop()!);
        for (const op of ops) {
          push(`${model}/${op}/torch`, batch / t[op].median_s);
          console.error(`[${model}] round ${r + 1} torch: ${op} ${fmt(batch / t[op].median_s)} img/s`);
        }
      }
      loads.push(Deno.loadavg()[0]);
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

console.log(
  `\nTiTok-shaped random weights, batch ${batch}, ${threads} threads, ${rounds} alternating rounds × ≥ ${iters} timed calls ` +
    `(+${warmup} warm-up); img/s = median over rounds (min–max); torch env: ${tunedVars}; ` +
    `1-min load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
);
console.log("| model | op | precision | tok1d img/s | torch img/s | ÷ torch | ÷ fp32 |");
console.log("|---|---|---|---|---|---|---|");
for (const model of args.models.split(",")) {
  for (const op of ops) {
    const torch = results.get(`${model}/${op}/torch`);
    const fp32 = results.get(`${model}/${op}/fp32`);
    for (const p of precisions) {
      const v = results.get(`${model}/${op}/${p}`)!;
      console.log(
        `| titok/${model} | ${op} | ${p} | ${range(v)} | ${torch ? range(torch) : "–"} | ${
          torch ? `${(median(v) / median(torch)).toFixed(2)}×` : "–"
        } | ${fp32 ? `${(median(v) / median(fp32)).toFixed(2)}×` : "–"} |`,
      );
    }
  }
}
if (args.json) {
  writeFileSync(
    args.json,
    JSON.stringify({ batch, threads, rounds, iters, tunedVars, loads, results: Object.fromEntries(results) }),
  );
}
