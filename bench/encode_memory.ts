/**
 * Peak memory of `tok1d encode` against the number of images: a streaming
 * encode holds one batch, so 2,000 images must peak within 1.2× of 200 (the
 * old encode kept every image and latent: about 39 GB for 50,000 at 256 px).
 * Each count runs in its own process (`_encode_rss_worker.ts`), which reports
 * its VmHWM from /proc.
 *
 * ```sh
 * deno run -A bench/encode_memory.ts                       # default model (64 px), 200 and 2000 images
 * deno run -A bench/encode_memory.ts --model titok/s128 --random --counts 50,500
 * ```
 * @module
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { photoFolder } from "../cli/_test_run.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    model: { type: "string", default: "default" },
    random: { type: "boolean", default: false },
    counts: { type: "string", default: "200,2000" },
    size: { type: "string", default: "96" },
    "batch-size": { type: "string", default: "16" },
    threads: { type: "string", default: "2" },
  },
});
const counts = values.counts.split(",").map(Number);
const root = mkdtempSync(join(tmpdir(), "tok1d-encmem-"));
const base = await photoFolder(join(root, "base"), Number(values.size));
const worker = new URL("./_encode_rss_worker.ts", import.meta.url).pathname;
const rows: { images: number; peakMiB: number; seconds: number }[] = [];
for (const n of counts) {
  const dir = join(root, `in-${n}`);
  mkdirSync(dir);
  for (let i = 0; i < n; i++) {
    copyFileSync(base[i % base.length], join(dir, `${String(i).padStart(6, "0")}.png`));
  }
  const args = [
    "encode",
    "--model",
    values.model,
    ...(values.random ? ["--random"] : []),
    "--threads",
    values.threads,
    "--batch-size",
    values["batch-size"],
    "--out",
    join(root, `out-${n}`),
    dir,
  ];
  const t0 = performance.now();
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", worker, ...args],
    stderr: "inherit",
  })
    .output();
  const text = new TextDecoder().decode(r.stdout).trim().split("\n").at(-1)!;
  if (r.code !== 0) throw new Error(`worker failed: ${text}`);
  rows.push({
    images: n,
    peakMiB: Number(JSON.parse(text).peakKiB) / 1024,
    seconds: (performance.now() - t0) / 1000,
  });
}
rmSync(root, { recursive: true, force: true });
console.log("| images | peak RSS (MiB) | seconds |\n|---|---|---|");
for (const r of rows) console.log(`| ${r.images} | ${r.peakMiB.toFixed(0)} | ${r.seconds.toFixed(1)} |`);
console.log(
  `peak(${rows.at(-1)!.images}) / peak(${rows[0].images}) = ${
    (rows.at(-1)!.peakMiB / rows[0].peakMiB).toFixed(3)
  }`,
);
