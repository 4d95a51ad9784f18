/**
 * Which ops `--precision int8` should quantize: TiTok-shaped encoder and
 * decoder sessions (seeded random weights, batch 4) at fp32 (Winograd on, the
 * CPU default), int8 on Linear/MatMul only (the default rule), and int8 with
 * convs too (DynamicQuantizeLinear + ConvInteger), in alternating rounds.
 * Results: bench/README.md "Precision".
 *
 *   deno run -A bench/int8_rule_bench.ts [--model s128] [--rounds 2] [--iters 2] [--threads 2]
 * @module
 */
import { parseArgs } from "node:util";
import { loadTokenizer } from "../core/tokenizer.ts";
import { Session, type SessionOptions } from "../core/runtime/session.ts";
import { INT8_RULE } from "../core/runtime/int8_pass.ts";
import { median, randomImages, timeCalls } from "./_titok_util.ts";

const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: "s128" },
    rounds: { type: "string", default: "2" },
    iters: { type: "string", default: "2" },
    threads: { type: "string", default: "2" },
  },
});
const threads = Number(args.threads);
const tok = await loadTokenizer(`titok/${args.model}`, { random: true, seed: 0, threads, keepWeights: true });
const x = randomImages(4, tok.info.imageSize, 0);
const enc = tok.graph("encoder"), dec = tok.graph("decoder");
const first = await Session.create(enc, tok.weights, { threads });
const { latent } = await first.run({ image: x });
await first.release();

const VARIANTS: Record<string, SessionOptions> = {
  fp32: {},
  "int8 (Linear/MatMul)": { precision: "int8" },
  "int8 (+ConvInteger)": { precision: "int8", int8: { ...INT8_RULE, conv: true } },
};
const times = new Map<string, number[]>();
const loads = [Deno.loadavg()[0]];
for (let r = 0; r < Number(args.rounds); r++) {
  for (const [name, o] of Object.entries(VARIANTS)) {
    for (const [graph, g, feeds] of [["encoder", enc, { image: x }], ["decoder", dec, { latent }]] as const) {
      const s = await Session.create(g, tok.weights, { threads, ...o });
      const t = median(await timeCalls(() => s.run(feeds), 1, Number(args.iters)));
      await s.release();
      const key = `${graph}|${name}`;
      times.set(key, [...(times.get(key) ?? []), t]);
      console.error(`round ${r + 1} ${graph} ${name}: ${t.toFixed(3)} s`);
    }
  }
  loads.push(Deno.loadavg()[0]);
}
console.log(
  `titok/${args.model}, batch 4, ${threads} threads; s per call, median over rounds (min–max); ` +
    `1-min load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
);
console.log("| graph | variant | s per batch of 4 | ÷ fp32 time |");
console.log("|---|---|---|---|");
for (const [key, v] of times) {
  const [graph, name] = key.split("|");
  const base = median(times.get(`${graph}|fp32`)!);
  console.log(
    `| ${graph} | ${name} | ${median(v).toFixed(2)} (${Math.min(...v).toFixed(2)}–${
      Math.max(...v).toFixed(2)
    }) | ${(median(v) / base).toFixed(2)} |`,
  );
}
