/**
 * Which ops `--precision int8` should quantize, in alternating rounds (batch 4, seeded random
 * weights). Results: bench/README.md "Which ops".
 *
 * - Model (default): TiTok-shaped encoder and decoder sessions at fp32 (Winograd on, the CPU
 *   default), int8 on Linear/MatMul only, int8 with dynamic ConvInteger convs, and int8 with static
 *   QDQ convs (QLinearConv) calibrated on the encoder's latents of the timed batch.
 * - `--micro`: one SiLU + 3×3 conv (128→128 at 256², the VQGAN decoder's widest level) as a direct
 *   fp32 conv, Winograd, and a calibrated QDQ int8 conv, with each output's max error.
 *
 *   deno run -A bench/int8_rule_bench.ts [--model s128] [--micro] [--rounds 2] [--iters 2] [--threads 2]
 * @module
 */
import { parseArgs } from "node:util";
import { loadTokenizer } from "../core/tokenizer.ts";
import { Graph } from "../core/graph/graph.ts";
import { conv2d } from "../core/nn/conv.ts";
import { silu } from "../core/nn/activations.ts";
import { randomWeights } from "../core/init.ts";
import type { Tensor } from "../core/tensor.ts";
import { Session, type SessionOptions } from "../core/runtime/session.ts";
import { INT8_RULE } from "../core/runtime/int8_pass.ts";
import { calibrate } from "../core/runtime/calibrate.ts";
import { median, randomImages, Rng, timeCalls } from "./_titok_util.ts";

const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: "s128" },
    micro: { type: "boolean", default: false },
    rounds: { type: "string", default: "2" },
    iters: { type: "string", default: "2" },
    threads: { type: "string", default: "2" },
  },
});
const threads = Number(args.threads);

interface Case {
  graph: Graph;
  weights: Map<string, Tensor>;
  feeds: Record<string, Tensor>;
  output: string;
}
const cases = new Map<string, Case>();
let variants: Record<string, (c: Case) => Promise<SessionOptions>>;
let title: string;

if (args.micro) {
  const [B, C, S] = [4, 128, 256];
  const g = new Graph("conv3x3");
  const x = g.input("x", "float32", [B, C, S, S]);
  g.output(g.scope("conv", () => conv2d(g, silu(g, x), C, C, 3, { padding: "same" })), "y");
  const rng = new Rng(2);
  const data = Float32Array.from({ length: B * C * S * S }, () => rng.normal());
  const c = {
    graph: g,
    weights: randomWeights(g.params.values(), 1, "fanin"),
    feeds: { x: { dtype: "float32" as const, shape: [B, C, S, S], data } },
    output: "y",
  };
  cases.set("conv 3×3 128→128 @256²", c);
  title = `SiLU + conv 3×3, 128→128, 256², batch ${B}`;
  variants = {
    "fp32 direct": () => Promise.resolve({ winograd: false }),
    "fp32 Winograd": () => Promise.resolve({}),
    "int8 QDQ (QLinearConv)": async (c) => ({
      precision: "int8",
      int8: { ...INT8_RULE, ranges: await calibrate(c.graph, c.weights, [c.feeds], { threads }) },
    }),
  };
} else {
  const tok = await loadTokenizer(`titok/${args.model}`, {
    random: true,
    seed: 0,
    threads,
    keepWeights: true,
  });
  const x = randomImages(4, tok.info.imageSize, 0);
  const enc = tok.graph("encoder"), dec = tok.graph("decoder");
  const first = await Session.create(enc, tok.weights, { threads });
  const { latent } = await first.run({ image: x });
  await first.release();
  cases.set("encoder", {
    graph: enc,
    weights: tok.weights,
    feeds: { image: x },
    output: "latent",
  });
  cases.set("decoder", {
    graph: dec,
    weights: tok.weights,
    feeds: { latent },
    output: dec.outputs.find((v) => v.dtype === "float32")!.name,
  });
  title = `titok/${args.model}, batch 4`;
  variants = {
    fp32: () => Promise.resolve({}),
    "int8 (Linear/MatMul)": () => Promise.resolve({ precision: "int8" }),
    "int8 (+ConvInteger)": () => Promise.resolve({ precision: "int8", int8: { ...INT8_RULE, conv: true } }),
    "int8 (+QLinearConv, calibrated)": async (c) => ({
      precision: "int8",
      int8: { ...INT8_RULE, ranges: await calibrate(c.graph, c.weights, [c.feeds], { threads }) },
    }),
  };
}

const times = new Map<string, number[]>();
const errors = new Map<string, { max: number; snr: number }>();
const reference = new Map<string, Float32Array>();
const loads = [Deno.loadavg()[0]];
for (let r = 0; r < Number(args.rounds); r++) {
  for (const [name, options] of Object.entries(variants)) {
    for (const [label, c] of cases) {
      const s = await Session.create(c.graph, c.weights, { threads, ...await options(c) });
      const out = (await s.run(c.feeds))[c.output].data as Float32Array;
      if (!reference.has(label)) reference.set(label, out);
      errors.set(`${label}|${name}`, relError(out, reference.get(label)!));
      const t = median(await timeCalls(() => s.run(c.feeds), 0, Number(args.iters)));
      await s.release();
      const key = `${label}|${name}`;
      times.set(key, [...(times.get(key) ?? []), t]);
      console.error(
        `round ${r + 1} ${label} ${name}: ${t.toFixed(3)} s (load ${Deno.loadavg()[0].toFixed(1)})`,
      );
    }
  }
  loads.push(Deno.loadavg()[0]);
}
console.log(
  `${title}, ${threads} threads; s per call, median over rounds (min–max); ` +
    `1-min load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
);
console.log(
  `| graph | variant | s per call | ÷ first variant's time | max error ÷ output scale | SNR vs first (dB) |`,
);
console.log("|---|---|---|---|---|---|");
const first = Object.keys(variants)[0];
for (const [key, v] of times) {
  const [label, name] = key.split("|");
  const base = median(times.get(`${label}|${first}`)!);
  console.log(
    `| ${label} | ${name} | ${median(v).toFixed(2)} (${Math.min(...v).toFixed(2)}–${
      Math.max(...v).toFixed(2)
    }) | ` +
      `${(median(v) / base).toFixed(2)} | ${errors.get(key)!.max.toExponential(1)} | ${
        errors.get(key)!.snr.toFixed(1)
      } |`,
  );
}

/** max |a − b| / max |b|, and the signal-to-noise ratio Σb² / Σ(a − b)² in dB (∞ when equal). */
function relError(a: Float32Array, b: Float32Array): { max: number; snr: number } {
  let err = 0, scale = 0, signal = 0, noise = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
    signal += b[i] * b[i];
    noise += (a[i] - b[i]) ** 2;
  }
  return { max: err / scale, snr: 10 * Math.log10(signal / noise) };
}
