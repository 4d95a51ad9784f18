/**
 * One process of bench/memory.ts: loads a TiTok preset from a checkpoint,
 * opens its encoder and decoder sessions, runs one image through each, then
 * `--batch` images, and prints RSS after each stage, VmHWM and timings (MiB,
 * seconds) as JSON on the last stdout line.
 * @module
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadTokenizer } from "../core/tokenizer.ts";
import { randomImages, rows } from "./_titok_util.ts";

const { values: o } = parseArgs({
  args: Deno.args,
  options: {
    preset: { type: "string", default: "s128" },
    weights: { type: "string" },
    batch: { type: "string", default: "4" },
    threads: { type: "string", default: "2" },
    arena: { type: "string", default: "on" },
    engine: { type: "string", default: "node" },
    winograd: { type: "string", default: "on" },
  },
});
const mib = (field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync("/proc/self/status", "utf8"))![1]) / 1024;
const stage: Record<string, number> = { start: mib("VmRSS") };
/** VmHWM (the peak so far) after each stage: which step sets the peak. */
const peakBy: Record<string, number> = {};
const mark = (name: string) => {
  stage[name] = mib("VmRSS");
  peakBy[name] = mib("VmHWM");
};
const t0 = performance.now();
const tok = await loadTokenizer(`titok/${o.preset}`, {
  weights: o.weights,
  threads: Number(o.threads),
  memoryArena: o.arena === "on",
  engine: o.engine as "node" | "direct",
  winograd: o.winograd === "on",
  batchSize: Number(o.batch),
  // What a reconstruct job opens; the token decoder's weights are dropped at load.
  programs: ["encode", "decodeLatent"],
});
mark("loaded");
await tok.warmUp(["encoder", "decoder"]);
mark("opened");
const openSeconds = (performance.now() - t0) / 1000;
const size = tok.info.imageSize;
const images = randomImages(Number(o.batch), size);
const first = await tok.encode(rows(images, 0, 1));
mark("encodedOne");
await tok.decodeLatent(first.latent!);
mark("decodedOne");
const t1 = performance.now();
const enc = await tok.encode(images);
const encodeSeconds = (performance.now() - t1) / 1000;
const t2 = performance.now();
await tok.decodeLatent(enc.latent!);
const decodeSeconds = (performance.now() - t2) / 1000;
mark("afterBatch");
const params = new Map(
  tok.graphNames.flatMap((g) => [...tok.graph(g).params.values()].map((p) => [p.name, p])),
);
const weightsMiB = [...params.values()].reduce((a, p) => a + 4 * p.shape.reduce((x, y) => x * y, 1), 0) /
  2 ** 20;
console.log(JSON.stringify({
  ...o,
  weightsMiB,
  stage,
  peakBy,
  peak: mib("VmHWM"),
  openSeconds,
  encodeSeconds,
  decodeSeconds,
}));
