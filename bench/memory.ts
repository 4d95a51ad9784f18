/**
 * Memory of TiTok inference: RSS once the checkpoint is read, once the encoder
 * and the decoder sessions are open ("resident after load"), after one image
 * and after a batch through both (ORT's arena grows to the largest run), and
 * the peak (VmHWM), in MiB, each case in a fresh process
 * (`_memory_worker.ts`). Weights are seeded random ones of the preset's shapes,
 * written once to `<dir>/<preset>.safetensors`.
 *
 * ```sh
 * deno run -A bench/memory.ts                                  # s128 and l32, batch 4, 2 threads
 * deno run -A bench/memory.ts --presets s128 --arena on,off --winograd on,off --rounds 2 --json /tmp/mem.json
 * ```
 * @module
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadTokenizer } from "../core/tokenizer.ts";
import { serializeSafetensors } from "../core/weights/safetensors.ts";
import { median } from "./_titok_util.ts";

const { values: o } = parseArgs({
  args: Deno.args,
  options: {
    presets: { type: "string", default: "s128,l32" },
    batch: { type: "string", default: "4" },
    threads: { type: "string", default: "2" },
    arena: { type: "string", default: "on" },
    engine: { type: "string", default: "node" },
    winograd: { type: "string", default: "on" },
    rounds: { type: "string", default: "1" },
    dir: { type: "string", default: join(tmpdir(), "tok1d-memory-bench") },
    json: { type: "string" },
    "make-weights": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (o.help) {
  console.log(
    "deno run -A bench/memory.ts [--presets s128,l32] [--batch 4] [--threads 2] [--arena on,off] " +
      "[--engine node,direct] [--winograd on,off] [--rounds 1] [--dir DIR] [--json out.json]",
  );
  Deno.exit(0);
}

// Child mode: write one preset's random weights and exit (the parent never holds them).
if (o["make-weights"]) {
  const tok = await loadTokenizer(`titok/${o["make-weights"]}`, { random: true, seed: 0 });
  // In chunks: one writeFileSync of more than 2 GiB fails here with ENOSPC (Deno 2.9.6).
  const bytes = serializeSafetensors(tok.weights);
  const path = join(o.dir, `${o["make-weights"]}.safetensors`);
  const fd = openSync(`${path}.tmp`, "w");
  for (let at = 0; at < bytes.byteLength; at += 1 << 28) writeSync(fd, bytes.subarray(at, at + (1 << 28)));
  closeSync(fd);
  renameSync(`${path}.tmp`, path);
  Deno.exit(0);
}

mkdirSync(o.dir, { recursive: true });
const self = new URL(import.meta.url).pathname;
const worker = new URL("./_memory_worker.ts", import.meta.url).pathname;
async function deno(args: string[]): Promise<string> {
  const r = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", ...args], stderr: "inherit" })
    .output();
  if (!r.success) throw new Error(`deno ${args.join(" ")} failed (${r.code})`);
  return new TextDecoder().decode(r.stdout);
}

type Row = Record<string, unknown> & { stage: Record<string, number>; peak: number; weightsMiB: number };
const rows: Row[] = [];
for (const preset of o.presets.split(",")) {
  const weights = join(o.dir, `${preset}.safetensors`);
  if (!existsSync(weights)) await deno([self, "--make-weights", preset, "--dir", o.dir]);
  for (let round = 0; round < Number(o.rounds); round++) {
    for (const arena of o.arena.split(",")) {
      for (const engine of o.engine.split(",")) {
        for (const winograd of o.winograd.split(",")) {
          const out = await deno([
            worker,
            ...["--preset", preset, "--weights", weights, "--batch", o.batch, "--threads", o.threads],
            ...["--arena", arena, "--engine", engine, "--winograd", winograd],
          ]);
          const row = JSON.parse(out.trim().split("\n").at(-1)!) as Row;
          rows.push(row);
          console.error(JSON.stringify(row));
        }
      }
    }
  }
}

const f = (x: number) => x.toFixed(0);
console.log(
  `| preset | arena | engine | winograd | weights | read | sessions open (× weights) | after 1 image | after batch ${o.batch} | peak (× weights) | peak set by | open s | encode s | decode s |`,
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
const groups = Map.groupBy(rows, (r) => `${r.preset}|${r.arena}|${r.engine}|${r.winograd}`);
for (const [key, rs] of groups) {
  const [preset, arena, engine, winograd] = key.split("|");
  const m = (pick: (r: Row) => number) => median(rs.map(pick));
  const w = rs[0].weightsMiB;
  const open = m((r) => r.stage.opened);
  const peak = m((r) => r.peak);
  const cells = [
    preset,
    arena,
    engine,
    winograd,
    f(w),
    f(m((r) => r.stage.loaded)),
    `${f(open)} (${(open / w).toFixed(2)}×)`,
    f(m((r) => r.stage.decodedOne)),
    f(m((r) => r.stage.afterBatch)),
    `${f(peak)} (${(peak / w).toFixed(2)}×)`,
    // The first stage whose VmHWM reached the peak: session creation ("opened") or a run.
    Object.entries(rs[0].peakBy as Record<string, number>).find(([, v]) => v >= rs[0].peak - 0.5)?.[0] ?? "",
    ...["openSeconds", "encodeSeconds", "decodeSeconds"].map((k) => m((r) => r[k] as number).toFixed(2)),
  ];
  console.log(`| ${cells.join(" | ")} |`);
}
if (o.json) writeFileSync(o.json, JSON.stringify(rows, null, 2));
