/**
 * tok1d's conv decoder on ONNX Runtime's CPU provider, before and after the
 * two rewrites of core/nn: side-by-side ratios on the same weights and
 * threads, interleaved (A, B, B, A, …) so that load drifts hit both sides.
 *
 *   deno run -A bench/conv_decoder_bench.ts [--batch 1] [--threads 2] [--rounds 5] [--cases layers,decoder]
 *
 * Cases:
 * - `layers`: one layer at the MaskGIT-VQGAN decoder's shapes — a 3×3 conv direct vs Winograd
 *   F(4×4, 3×3) (core/nn/winograd.ts), and nearest ×2 + 3×3 conv vs the folded stride-2 ConvTranspose
 *   (core/nn/upsample_conv.ts);
 * - `decoder`: the whole MaskGIT-VQGAN f16 decoder (16×16×256 → 256×256 image; TiTok's pixel
 *   decoder, ALIT's VQGAN decoder) with `Session`'s `winograd` off and on, then the earlier rule
 *   (images ≥ 64² only) against the default (≥ 16²).
 *
 * Each figure is the median over rounds of wall seconds per call, plus the process CPU seconds per
 * call (user + system, all threads; worker threads do not spin), which the shared host's load
 * inflates less. "ratio" is before / after; max |Δ| compares the two outputs.
 * @module
 */
import { parseArgs } from "node:util";
import { Graph, type Value } from "../core/graph/graph.ts";
import { MASKGIT_VQGAN_F16, vqganDecoder } from "../core/nn/maskgit_vqgan.ts";
import { conv2d } from "../core/nn/conv.ts";
import { upsampleConv3x3 } from "../core/nn/upsample_conv.ts";
import { randomWeights, Rng } from "../core/init.ts";
import { upsampleNearest } from "../core/ops/mod.ts";
import { Session } from "../core/runtime/session.ts";
import type { WinogradRule } from "../core/runtime/winograd_pass.ts";
import type { Tensor } from "../core/tensor.ts";
import { median } from "./_titok_util.ts";

const { values: a } = parseArgs({
  options: {
    batch: { type: "string", default: "1" },
    threads: { type: "string", default: "2" },
    rounds: { type: "string", default: "5" },
    cases: { type: "string", default: "layers,decoder" },
  },
});
const batch = Number(a.batch), threads = Number(a.threads), rounds = Number(a.rounds);
const cases = new Set(a.cases!.split(","));

const randn = (shape: number[], seed: number): Tensor<"float32"> => {
  const rng = new Rng(seed);
  return {
    dtype: "float32",
    shape,
    data: Float32Array.from({ length: shape.reduce((x, y) => x * y) }, () => rng.normal()),
  };
};
/** Process CPU seconds (user + system) from /proc/self/stat. */
const cpuSeconds = () => {
  const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
};

interface Side {
  graph: Graph;
  winograd: boolean | WinogradRule;
}

/** Opens both sides, runs each once, then `rounds` interleaved timed calls; prints one row. */
async function compare(label: string, before: Side, after: Side, feeds: Record<string, Tensor>) {
  const weights = randomWeights(after.graph.params.values(), 0, "fanin");
  const open = (s: Side) =>
    Session.create(s.graph, weights, { threads, spinning: false, winograd: s.winograd });
  const sessions = [await open(before), await open(after)];
  const outs = [];
  for (const s of sessions) outs.push(Object.values(await s.run(feeds))[0]);
  const walls: number[][] = [[], []], cpus: number[][] = [[], []];
  for (let r = 0; r < rounds; r++) {
    for (const i of r % 2 ? [1, 0] : [0, 1]) {
      const c = cpuSeconds(), t = performance.now();
      await sessions[i].run(feeds);
      walls[i].push((performance.now() - t) / 1000);
      cpus[i].push(cpuSeconds() - c);
    }
  }
  for (const s of sessions) await s.release();
  let diff = 0, scale = 0;
  for (let i = 0; i < outs[0].data.length; i++) {
    diff = Math.max(diff, Math.abs(Number(outs[0].data[i]) - Number(outs[1].data[i])));
    scale = Math.max(scale, Math.abs(Number(outs[0].data[i])));
  }
  const [wb, wa, cb, ca] = [median(walls[0]), median(walls[1]), median(cpus[0]), median(cpus[1])];
  console.log(
    `| ${label.padEnd(34)} | ${wb.toFixed(3)} | ${wa.toFixed(3)} | **${(wb / wa).toFixed(2)}×** | ` +
      `${cb.toFixed(2)} | ${ca.toFixed(2)} | ${(cb / ca).toFixed(2)}× | ${diff.toExponential(1)} (of ${
        scale.toFixed(1)
      }) |`,
  );
}

/** A one-layer graph: `fn` applied to an input of `shape`, under scope `l`. */
function layer(shape: number[], fn: (g: Graph, x: Value) => Value): Graph {
  const g = new Graph("layer");
  const x = g.input("x", "float32", shape);
  g.output(g.scope("l", () => fn(g, x)), "y");
  return g;
}

console.log(
  `batch ${batch}, ${threads} threads, ${rounds} rounds (median s per call; CPU s = all threads)\n`,
);
console.log("| case | before s | after s | ratio | before CPU s | after CPU s | CPU ratio | max abs diff |");
console.log("| ---- | -------- | ------- | ----- | ------------ | ----------- | --------- | ------------ |");
if (cases.has("layers")) {
  for (
    const [c, o, side] of [[128, 128, 256], [256, 128, 128], [256, 256, 64], [256, 256, 32], [512, 512, 16]]
  ) {
    const g = layer([batch, c, side, side], (g, x) => conv2d(g, x, c, o, 3, { padding: 1, bias: false }));
    const feeds = { x: randn([batch, c, side, side], 1) };
    await compare(`conv3×3 ${c}→${o} at ${side}² (Winograd)`, { graph: g, winograd: false }, {
      graph: g,
      winograd: true,
    }, feeds);
  }
  for (const [c, side] of [[128, 128], [256, 64], [512, 16]]) {
    const plain = layer(
      [batch, c, side, side],
      (g, x) => conv2d(g, upsampleNearest(g, x, 2), c, c, 3, { padding: 1 }),
    );
    const folded = layer([batch, c, side, side], (g, x) => upsampleConv3x3(g, x, c, c));
    const feeds = { x: randn([batch, c, side, side], 2) };
    await compare(`up×2+conv ${c} ${side}²→${2 * side}² (fold)`, { graph: plain, winograd: false }, {
      graph: folded,
      winograd: false,
    }, feeds);
  }
}
if (cases.has("decoder")) {
  const g = new Graph("decoder");
  const z = g.input("z", "float32", [batch, 256, 16, 16]);
  g.output(g.scope("decoder", () => vqganDecoder(g, z, MASKGIT_VQGAN_F16)), "image");
  const feeds = { z: randn([batch, 256, 16, 16], 3) };
  await compare("MaskGIT-VQGAN decoder (Winograd)", { graph: g, winograd: false }, {
    graph: g,
    winograd: true,
  }, feeds);
  // The rule before 2026-12-07 left the 16² and 32² levels (512 / 256 channels) direct.
  await compare(
    "decoder, Winograd ≥ 64² → default rule",
    {
      graph: g,
      winograd: { minChannels: 128, minPixels: 64 * 64 },
    },
    { graph: g, winograd: true },
    feeds,
  );
}
