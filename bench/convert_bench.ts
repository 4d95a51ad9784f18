/**
 * Dataset throughput: conversion to webdataset shards (copy and re-encode
 * modes) and the reader (shards → float32 batches), on 500×375 JPEGs made at
 * start-up from the committed CC0 photos (quality 90, 4:2:0, like ImageNet's).
 *
 * Two ways to run it:
 *
 *   deno run -A bench/convert_bench.ts [N] [REPS]   # table: wall img/s and img per CPU-second ("per core")
 *   deno bench -A bench/convert_bench.ts       # Deno.bench, one image per iteration, single core
 *
 * "Per core" is images divided by the CPU time the whole process used
 * (user + system, all threads), which is what matters on a shared host where
 * wall time swings with the neighbours' load. Files are read from the page
 * cache, so copy mode here measures the CPU cost per file, not a disk.
 *
 * @module
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { type ConvertInput, convertToShards } from "../core/data/convert.ts";
import { prepareImage } from "../core/data/prepare.ts";
import { openImageSource } from "../core/data/reader.ts";

const PHOTOS = new URL("../tests/testdata/photos/", import.meta.url).pathname;
const SOURCES = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "heldout/bliznaca.png"];

/** `n` distinct 500×375 JPEGs (q90) in `dir/c<k>/`, as convert inputs. */
async function makeJpegs(dir: string, n: number): Promise<ConvertInput[]> {
  const inputs: ConvertInput[] = [];
  for (let i = 0; i < n; i++) {
    const src = sharp(join(PHOTOS, SOURCES[i % SOURCES.length]));
    const { width = 300, height = 300 } = await src.metadata();
    const w = Math.max(200, width - (i % 37) * 2), h = Math.max(150, height - (i % 23) * 2);
    const bytes = await src.extract({ left: (width - w) >> 1, top: (height - h) >> 1, width: w, height: h })
      .resize(500, 375, { fit: "fill" }).jpeg({ quality: 90 }).toBuffer();
    const cls = i % 4;
    const rel = `c${cls}/${String(i).padStart(5, "0")}.jpg`;
    mkdirSync(join(dir, `c${cls}`), { recursive: true });
    writeFileSync(join(dir, rel), bytes);
    inputs.push({ rel, path: join(dir, rel), cls, className: `c${cls}` });
  }
  return inputs.sort((a, b) => (a.rel < b.rel ? -1 : 1));
}

interface Measured {
  items: number;
  /** Wall seconds and CPU seconds of each repetition. */
  wall: number[];
  cpu: number[];
}

/** Runs `run` `reps` times; each returns how many images it handled. */
async function measure(run: () => Promise<number>, reps = REPS): Promise<Measured> {
  const m: Measured = { items: 0, wall: [], cpu: [] };
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    m.items = await run();
    m.wall.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    m.cpu.push((c.user + c.system) / 1e6);
  }
  return m;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const tmp = mkdtempSync(join(tmpdir(), "tok1d-convert-bench-"));
const N = Number(Deno.args[0] ?? 400);
const REPS = Number(Deno.args[1] ?? 3);
const inputs = await makeJpegs(join(tmp, "src"), import.meta.main ? N : 50);
const bytes = inputs.map((x) => new Uint8Array(readFileSync(x.path!)));
const job = (out: string, mode: Parameters<typeof prepareImage>[1], concurrency?: number) => ({
  out,
  prefix: "bench",
  shardSize: 1000,
  mode,
  inputs,
  source: { kind: "bench" },
  classNames: ["c0", "c1", "c2", "c3"],
  command: [],
  concurrency,
});

if (import.meta.main) {
  const mb = bytes.reduce((s, b) => s + b.length, 0) / 1e6;
  console.log(
    `${N} JPEGs 500×375 q90, ${
      (mb / N * 1000).toFixed(0)
    } KB average; ${navigator.hardwareConcurrency} cores`,
  );
  const rows: [string, Measured][] = [];
  const convert = async (label: string, mode: Parameters<typeof prepareImage>[1], conc?: number) => {
    const out = join(tmp, label.replace(/\W+/g, "_"));
    rows.push([
      label,
      await measure(async () => {
        rmSync(out, { recursive: true, force: true }); // a fresh run each time, not a resume
        return (await convertToShards(job(out, mode, conc))).counts.written;
      }),
    ]);
  };
  await convert("convert copy (header check)", { kind: "copy" });
  await convert("convert copy --verify decode", { kind: "copy", verify: "decode" });
  sharp.concurrency(1);
  await convert(
    "convert --resize 256 q95, 1 thread, 1 at a time",
    { kind: "resize", size: 256, quality: 95 },
    1,
  );
  sharp.concurrency(navigator.hardwareConcurrency);
  await convert("convert --resize 256 q95, default concurrency", { kind: "resize", size: 256, quality: 95 });
  const shards = join(tmp, "shards");
  await convertToShards(job(shards, { kind: "copy" }));
  // The shard three times over: a longer run, so that worker start-up (~0.4 s each) is amortised.
  const spec = join(shards, "bench-{000000,000000,000000}.tar");
  for (const workers of [0, 1, 2]) {
    rows.push([
      `reader → float32 [32,3,256,256], eval crop, ${workers} workers`,
      await measure(async () => {
        let n = 0;
        const src = await openImageSource(spec);
        for await (const b of src.batches(32, { size: 256, workers })) n += b.keys.length;
        return n;
      }),
    ]);
  }
  rows.push([
    "reader, random crop + flip + shuffle, 2 workers",
    await measure(async () => {
      let n = 0;
      const src = await openImageSource(spec);
      const o = { size: 256, crop: "random" as const, flip: true, seed: 1, shuffleBuffer: 100, workers: 2 };
      for await (const b of src.batches(32, o)) n += b.keys.length;
      return n;
    }),
  ]);
  console.log(
    `| case (${REPS} runs) | images | img/s wall, median (best) | img per CPU-second, median (best) |\n|---|---|---|---|`,
  );
  for (const [label, r] of rows) {
    const rate = (xs: number[]) =>
      `${(r.items / median(xs)).toFixed(0)} (${(r.items / Math.min(...xs)).toFixed(0)})`;
    console.log(`| ${label} | ${r.items} | ${rate(r.wall)} | ${rate(r.cpu)} |`);
  }
  rmSync(tmp, { recursive: true });
} else {
  sharp.concurrency(1);
  let i = 0;
  const next = () => bytes[i++ % bytes.length];
  Deno.bench("copy: read check (sniff) of one JPEG", { group: "convert" }, async () => {
    await prepareImage(next(), { kind: "copy" });
  });
  Deno.bench(
    "re-encode: 500×375 → 256² JPEG q95, one libvips thread",
    { group: "convert", baseline: true },
    async () => {
      await prepareImage(next(), { kind: "resize", size: 256, quality: 95 });
    },
  );
  const shards = join(tmp, "shards");
  await convertToShards(job(shards, { kind: "copy" }));
  const src = await openImageSource(shards);
  Deno.bench(
    "reader: 50 images → float32 256² batches, main thread",
    { group: "reader", n: 5, warmup: 1 },
    async () => {
      for await (const _ of src.batches(25, { size: 256 })) { /* drain */ }
    },
  );
  globalThis.addEventListener("unload", () => rmSync(tmp, { recursive: true, force: true }));
}
