/**
 * How fast could a TiTok encoder be in fp32 on this CPU: the encoder's dense
 * layers alone (every block's qkv, attention projection and MLP Gemms, with
 * the block's own weights, so they stream from memory as in the encoder),
 * a ceiling to read beside bench/fma_peak.c's multiply-add peak,
 * one large square Gemm (the best rate MLAS reaches here), and the whole
 * encoder — in one process, alternating, on the same session options as the
 * tokenizer (threads, spinning). It answers whether a ≥ 1.3× lead over
 * tuned PyTorch is reachable without doing fewer floating-point operations:
 * `--upstream <s>` (upstream's encode seconds from bench/upstream.ts) prints
 * the time that lead needs beside the Gemms' floor.
 *
 *   deno run -A bench/gemm_ceiling.ts [--preset l32] [--batch 1] [--threads 2] [--rounds 5]
 *     [--upstream 1.29] [--no-encoder]
 * @module
 */
import { Graph } from "../core/graph/graph.ts";
import { randomWeights } from "../core/init.ts";
import { linear } from "../core/nn/linear.ts";
import { slice } from "../core/ops/mod.ts";
import { Session } from "../core/runtime/session.ts";
import { loadTokenizer } from "../core/tokenizer.ts";
import type { Tensor } from "../core/tensor.ts";
import { benchArgs, positiveInt } from "./_cli.ts";
import { median, randomImages, Rng } from "./_titok_util.ts";

const USAGE = `deno run -A bench/gemm_ceiling.ts [--preset l32] [--batch 1] [--threads 2] [--rounds 5]
  [--upstream <encode s>] [--no-encoder]`;
const a = benchArgs(USAGE, {
  preset: { type: "string", default: "l32" },
  batch: { type: "string", default: "1" },
  threads: { type: "string", default: "2" },
  rounds: { type: "string", default: "5" },
  upstream: { type: "string" },
  "no-encoder": { type: "boolean", default: false },
});
const batch = positiveInt("batch", a.batch), threads = positiveInt("threads", a.threads);
const rounds = positiveInt("rounds", a.rounds);

/** The encoder ViT of each preset: width, MLP width, blocks, tokens (patches + latent tokens + class token). */
const SHAPES: Record<string, { width: number; mlp: number; blocks: number; tokens: number }> = {
  l32: { width: 1024, mlp: 4096, blocks: 24, tokens: 256 + 32 + 1 },
  b64: { width: 768, mlp: 3072, blocks: 12, tokens: 256 + 64 + 1 },
  s128: { width: 512, mlp: 2048, blocks: 8, tokens: 256 + 128 + 1 },
};
const shape = SHAPES[a.preset];
if (!shape) {
  console.error(`--preset ${a.preset}: one of ${Object.keys(SHAPES).join(", ")}`);
  Deno.exit(2);
}
const { width, mlp, blocks } = shape;
const rows = batch * shape.tokens;

const randn = (dims: number[], seed: number): Tensor<"float32"> => {
  const rng = new Rng(seed);
  return {
    dtype: "float32",
    shape: dims,
    data: Float32Array.from({ length: dims.reduce((x, y) => x * y) }, () => rng.normal()),
  };
};

/**
 * Every block's four dense layers, chained so that intermediate values come from ORT's arena as in the
 * encoder: fc1 → fc2 → attention projection → qkv, whose first third feeds the next block.
 */
function denseLayers(): Graph {
  const g = new Graph("dense_layers");
  let x = g.input("x", "float32", [rows, width]);
  for (let b = 0; b < blocks; b++) {
    x = g.scope(`block${b}`, () => {
      const h = g.scope("fc1", () => linear(g, x, width, mlp));
      const y = g.scope("fc2", () => linear(g, h, mlp, width));
      const z = g.scope("proj", () => linear(g, y, width, width));
      const qkv = g.scope("qkv", () => linear(g, z, width, 3 * width));
      return slice(g, qkv, 1, 0, width);
    });
  }
  g.output(x, "y");
  return g;
}

/** One n×n by n×n Gemm: the rate MLAS reaches when shapes are no constraint. */
function square(n: number): Graph {
  const g = new Graph("square");
  const x = g.input("x", "float32", [n, n]);
  g.output(g.scope("l", () => linear(g, x, n, n, false)), "y");
  return g;
}

const denseFlop = 2 * rows * blocks * (width * 3 * width + width * width + 2 * width * mlp);
const N = 2048, squareFlop = 2 * N ** 3;
const dense = denseLayers();
const denseSession = await Session.create(
  dense,
  randomWeights(dense.params.values(), 0, "fanin"),
  { threads },
);
const sq = square(N);
const squareSession = await Session.create(sq, randomWeights(sq.params.values(), 1, "fanin"), { threads });
const denseFeeds = { x: randn([rows, width], 2) };
const squareFeeds = { x: randn([N, N], 4) };
const sides: { name: string; run: () => Promise<unknown>; flop?: number }[] = [
  { name: "dense layers", run: () => denseSession.run(denseFeeds), flop: denseFlop },
  { name: `square Gemm ${N}³`, run: () => squareSession.run(squareFeeds), flop: squareFlop },
];
if (!a["no-encoder"]) {
  const tok = await loadTokenizer(`titok/${a.preset}`, { random: true, seed: 0, threads, batchSize: batch });
  const images = randomImages(batch, tok.info.imageSize, 0);
  // Its dense layers plus attention's two products per block (QKᵀ and AV: 2·T²·width multiply-adds each);
  // the last block's dropped rows make this a slight overcount.
  const attention = 4 * batch * blocks * shape.tokens ** 2 * width;
  sides.push({ name: "whole encoder (≈ GFLOP)", run: () => tok.encode(images), flop: denseFlop + attention });
}
for (const s of sides) await s.run(); // warm
const times = sides.map(() => [] as number[]);
for (let r = 0; r < rounds; r++) {
  for (const i of r % 2 ? [...sides.keys()].reverse() : sides.keys()) {
    const t = performance.now();
    await sides[i].run();
    times[i].push((performance.now() - t) / 1000);
  }
}
console.log(
  `${a.preset} encoder shapes, batch ${batch} (${rows} rows), ${threads} threads, ${rounds} alternating rounds\n`,
);
console.log("| what | median s | min s | GFLOP | GFLOP/s (median) |");
console.log("| ---- | -------- | ----- | ----- | ---------------- |");
sides.forEach((s, i) => {
  const m = median(times[i]);
  const rate = s.flop ? (s.flop / m / 1e9).toFixed(0) : "";
  const flop = s.flop ? (s.flop / 1e9).toFixed(1) : "";
  console.log(`| ${s.name} | ${m.toFixed(3)} | ${Math.min(...times[i]).toFixed(3)} | ${flop} | ${rate} |`);
});
if (a.upstream !== undefined) {
  const up = Number(a.upstream);
  const gemms = median(times[0]);
  console.log(
    `\n1.3× upstream's ${up.toFixed(3)} s needs ${(up / 1.3).toFixed(3)} s; the dense layers alone take ` +
      `${gemms.toFixed(3)} s (${(up / gemms).toFixed(2)}× upstream with nothing else in the encoder)`,
  );
}
