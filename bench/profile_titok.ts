/**
 * Where TiTok inference time goes: opens a preset's `encoder` and `decoder`
 * sessions with ONNX Runtime's profiler on (the tokenizer's own session
 * options: Winograd, spinning, threads), runs each once untimed and `--runs`
 * times, and prints kernel time per run by op type and by module (the first
 * scopes of the node names), plus the number of kernels.
 *
 *   deno run -A bench/profile_titok.ts [--preset s128] [--weights file.safetensors] [--batch 4]
 *     [--graphs encoder,decoder] [--threads 2] [--runs 2] [--top 14]
 *
 * Without `--weights`, seeded random weights. The cells of bench/upstream.ts are
 * these two graphs at batch 1 and 4.
 * @module
 */
import { readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { loadTokenizer } from "../core/tokenizer.ts";
import { Session } from "../core/runtime/session.ts";
import { benchArgs, positiveInt } from "./_cli.ts";
import { randomImages } from "./_titok_util.ts";
import { kernelEvents } from "./profile_train.ts";

const USAGE = `deno run -A bench/profile_titok.ts [--preset s128] [--weights file.safetensors] [--batch 4]
  [--graphs encoder,decoder] [--threads 2] [--runs 2] [--top 14]`;
const a = benchArgs(USAGE, {
  preset: { type: "string", default: "s128" },
  weights: { type: "string" },
  batch: { type: "string", default: "4" },
  graphs: { type: "string", default: "encoder,decoder" },
  threads: { type: "string", default: "2" },
  runs: { type: "string", default: "2" },
  top: { type: "string", default: "14" },
});
const b = positiveInt("batch", a.batch), runs = positiveInt("runs", a.runs), top = positiveInt("top", a.top);
const threads = positiveInt("threads", a.threads);
const tok = await loadTokenizer(`titok/${a.preset}`, {
  ...(a.weights ? { weights: a.weights } : { random: true, seed: 0 }),
  threads,
  batchSize: b,
  keepWeights: true,
});
const images = randomImages(b, tok.info.imageSize, 0);
const latent = (await tok.encode(images)).latent!;
const feeds: Record<string, Record<string, typeof images>> = {
  encoder: { image: images },
  decoder: { latent },
};

for (const name of a.graphs.split(",")) {
  const graph = tok.graph(name);
  const feed = Object.fromEntries(
    graph.inputs.map((v) => [v.name, feeds[name][v.name] ?? Object.values(feeds[name])[0]]),
  );
  const prefix = await Deno.makeTempFile({ prefix: `tok1d_titok_${name}` });
  const s = await Session.create(graph, tok.weights, { threads, profile: prefix });
  await s.run(feed);
  const walls: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    await s.run(feed);
    walls.push((performance.now() - t) / 1000);
  }
  s.endProfiling();
  await s.release();
  const dir = dirname(prefix);
  const file = readdirSync(dir).map((e) => join(dir, e))
    .filter((f) => f.startsWith(`${prefix}_`) && f.endsWith(".json")).sort().at(-1)!;
  const all = kernelEvents(file);
  rmSync(file);
  rmSync(prefix);
  const per = all.length / (runs + 1);
  const events = all.slice(per);
  const total = events.reduce((x, e) => x + e.us, 0) / runs;
  const tally = (key: (node: string, op: string) => string) => {
    const m = new Map<string, number>();
    for (const e of events) m.set(key(e.node, e.op), (m.get(key(e.node, e.op)) ?? 0) + e.us / runs);
    return [...m].sort((x, y) => y[1] - x[1]).slice(0, top);
  };
  console.log(
    `\n${a.preset} ${name} (batch ${b}, ${threads} threads): ${per} kernels, kernel time ${
      (total / 1e6).toFixed(3)
    } s/run, wall ${walls.map((w) => w.toFixed(3)).join(", ")} s`,
  );
  const print = (title: string, rows: [string, number][]) => {
    console.log(`  ${title}`);
    for (const [k, us] of rows) {
      console.log(
        `    ${k.padEnd(40)} ${(us / 1e6).toFixed(3).padStart(7)} s ${
          (100 * us / total).toFixed(1).padStart(5)
        } %`,
      );
    }
  };
  print("by op", tally((_, op) => op));
  print("by module", tally((node) => node.split(/[/.]/).slice(0, 3).join(".")));
  print("by node", tally((node, op) => `${node} (${op})`));
}
await tok.release();
