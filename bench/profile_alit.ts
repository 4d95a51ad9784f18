/**
 * Where ALIT's time goes: runs ALIT's graphs (`iter_0`, the longest iteration, `decode_<L>`, `pixels`) on
 * their own sessions with ONNX Runtime's profiler on and prints kernel time per graph and by op type
 * (kernel names from bench/profile_train.ts's reader).
 *
 *   deno run -A bench/profile_alit.ts [--model tiny] [--batch 4] [--threads 2] [--runs 2] [--top 12]
 *
 * Each graph runs once untimed (arena growth), then `--runs` times; figures are per run.
 * @module
 */
import { dirname, join } from "node:path";
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadTokenizer } from "../core/tokenizer.ts";
import { Session } from "../core/runtime/session.ts";
import type { Tensor } from "../core/tensor.ts";
import { type AlitConfig, alitDims } from "../plugins/alit/config.ts";
import { randomImages, Rng } from "./_titok_util.ts";
import { kernelEvents } from "./profile_train.ts";

const { values: a } = parseArgs({
  options: {
    model: { type: "string", default: "tiny" },
    batch: { type: "string", default: "4" },
    threads: { type: "string", default: "2" },
    runs: { type: "string", default: "2" },
    top: { type: "string", default: "12" },
  },
});
const b = Number(a.batch), runs = Number(a.runs), threads = Number(a.threads);
const tok = await loadTokenizer(`alit/${a.model}`, { random: true, seed: 0, threads });
const d = alitDims(tok.model.config as AlitConfig);
const rng = new Rng(3);
const randn = (shape: number[]): Tensor<"float32"> => ({
  dtype: "float32",
  shape,
  data: Float32Array.from({ length: shape.reduce((x, y) => x * y) }, () => rng.normal()),
});
const ids = (l: number): Tensor => ({
  dtype: "int64",
  shape: [b, 1, l],
  data: BigInt64Array.from({ length: b * l }, () => BigInt(Math.floor(rng.next() * 4096))),
});
const last = d.iters - 1;
const gt: Tensor = {
  dtype: "int64",
  shape: [b, d.n],
  data: BigInt64Array.from({ length: b * d.n }, () => BigInt(Math.floor(rng.next() * 1024))),
};
const graphs: [string, Record<string, Tensor>][] = [
  ["iter_0", { image: randomImages(b, d.image, 7) }],
  [`iter_${last}`, {
    x_prev: randn([b, d.n + 1 + d.t * last, d.width]),
    drop: { dtype: "float32", shape: [b, d.n], data: new Float32Array(b * d.n) },
    gt,
  }],
  [`decode_${d.t * d.iters}`, { tokens: ids(d.t * d.iters) }],
  [`decode_${d.t}`, { tokens: ids(d.t) }],
  ["pixels", { code: randn([b, d.z, d.grid, d.grid]) }],
];
const top = Number(a.top);
for (const [name, feeds] of graphs) {
  const prefix = await Deno.makeTempFile({ prefix: `tok1d_alit_${name}` });
  const s = await Session.create(tok.graph(name), tok.weights, { threads, profile: prefix });
  await s.run(feeds);
  const walls: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    await s.run(feeds);
    walls.push((performance.now() - t) / 1000);
  }
  s.endProfiling();
  await s.release();
  const dir = dirname(prefix);
  const file = [...Deno.readDirSync(dir)].map((e) => join(dir, e.name))
    .filter((f) => f.startsWith(`${prefix}_`) && f.endsWith(".json")).sort().at(-1)!;
  const all = kernelEvents(file);
  rmSync(file);
  rmSync(prefix);
  const per = all.length / (runs + 1);
  const events = all.slice(per);
  const total = events.reduce((x, e) => x + e.us, 0) / runs;
  const byOp = new Map<string, number>();
  for (const e of events) byOp.set(e.op, (byOp.get(e.op) ?? 0) + e.us / runs);
  console.log(
    `\n${name} (batch ${b}, ${threads} threads): ${per} kernels, kernel time ${
      (total / 1e6).toFixed(3)
    } s/run, ` +
      `wall ${walls.map((w) => w.toFixed(3)).join(", ")} s`,
  );
  for (const [op, us] of [...byOp].sort((x, y) => y[1] - x[1]).slice(0, top)) {
    console.log(
      `  ${op.padEnd(28)} ${(us / 1e6).toFixed(3).padStart(7)} s ${
        (100 * us / total).toFixed(1).padStart(5)
      } %`,
    );
  }
}
await tok.release();
