/**
 * tok1d's side of bench/upstream.ts, one process per (model, batch, round) so
 * that its peak RSS and load time are its own: loads a TiTok preset from a
 * safetensors checkpoint with what a reconstruct job opens (`encode`,
 * `decodeLatent`), opens both sessions (the load time), then times encode and
 * decode of `--batch` seeded images and prints one JSON line: `load_s`,
 * `encode`/`decode` {median_s, runs_s}, `peak_mib` (VmHWM). Same JSON keys as
 * bench/torch_titok.py.
 *
 * `--check DIR` instead writes two seeded images, their tokens, latent and
 * reconstruction as .npy to DIR (torch_titok.py --check compares them).
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeNpy } from "../core/data/npy.ts";
import { loadTokenizer } from "../core/tokenizer.ts";
import { median, randomImages, timeCalls } from "./_titok_util.ts";
import { parseSpinning } from "./_spinning.ts";

const { values: o } = parseArgs({
  args: Deno.args,
  options: {
    preset: { type: "string", default: "tiny" },
    weights: { type: "string" },
    batch: { type: "string", default: "1" },
    threads: { type: "string", default: "2" },
    iters: { type: "string", default: "3" },
    warmup: { type: "string", default: "1" },
    "min-time": { type: "string", default: "1" },
    spinning: { type: "string", default: "default" },
    check: { type: "string" },
  },
});
const peakMiB = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))![1]) / 1024;

const batch = Number(o.batch);
const t0 = performance.now();
const tok = await loadTokenizer(`titok/${o.preset}`, {
  weights: o.weights,
  threads: Number(o.threads),
  // on | off | a spin budget in µs | default (the library's CPU default, a short spin).
  spinning: parseSpinning(o.spinning),
  batchSize: batch,
  programs: ["encode", "decodeLatent"],
});
await tok.warmUp(["encoder", "decoder"]);
const loadSeconds = (performance.now() - t0) / 1000;
const size = tok.info.imageSize;

if (o.check) {
  const images = randomImages(2, size, 7);
  const enc = await tok.encode(images);
  writeNpy(join(o.check, "image.npy"), images);
  writeNpy(join(o.check, "tokens.npy"), enc.tokens);
  writeNpy(join(o.check, "latent.npy"), enc.latent!);
  writeNpy(join(o.check, "recon.npy"), await tok.decodeLatent(enc.latent!));
  console.log(JSON.stringify({ load_s: loadSeconds }));
  Deno.exit(0);
}

const images = randomImages(batch, size, 0);
const latent = (await tok.encode(images)).latent!;
const [iters, warmup, minTime] = [Number(o.iters), Number(o.warmup), Number(o["min-time"])];
const result: Record<string, unknown> = { preset: o.preset, batch, load_s: loadSeconds };
const phases = [["encode", () => tok.encode(images)], ["decode", () => tok.decodeLatent(latent)]] as const;
for (const [op, fn] of phases) {
  // Process CPU seconds per call beside the wall times: on a loaded host they move far less.
  const cpu: number[] = [];
  const runs = await timeCalls(
    async () => {
      const c0 = process.cpuUsage();
      await fn();
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1e6);
    },
    warmup,
    iters,
    minTime,
  );
  result[op] = { median_s: median(runs), runs_s: runs, cpu_s: median(cpu.slice(warmup)) };
}
result.peak_mib = peakMiB();
console.log(JSON.stringify(result));
