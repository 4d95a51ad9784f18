/**
 * tests/memory_test.ts runs this in a fresh process (type checking in the test
 * runner's own process moves RSS by 100+ MiB): loads random TiTok-S-128
 * weights for a reconstruct job, opens the encoder and decoder sessions, and
 * prints RSS before and after the sessions opened, the weights' size and how
 * many weights are still in JS (MiB; JSON on stdout). `probe.ts on|off [file]`:
 * Winograd on or off; weights from a checkpoint file instead of random ones.
 * @module
 */
import { loadTokenizer } from "../core/tokenizer.ts";
import { winogradWeights } from "../core/runtime/winograd_pass.ts";

/** `off`: sessions without the Winograd rewrite (the weights as loaded, nothing added). */
const winograd = Deno.args[0] !== "off";
/** A checkpoint file of the preset's shapes (else seeded random weights in JS). */
const weights = Deno.args[1];

const status = () => Deno.readTextFileSync("/proc/self/status");
const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(status())![1]) / 1024;
const start = rssMiB();
const tok = await loadTokenizer("titok/s128", {
  ...(weights ? { weights } : { random: true }),
  threads: 1,
  programs: ["encode", "decodeLatent"],
  winograd,
});
// The 3×3 weights the rewrite turns into Winograd convs (their filter transforms are made per run).
const rewritten = winograd
  ? [...tok.graphNames].flatMap((g) => [...winogradWeights(tok.graph(g), (n) => tok.weights.has(n))])
  : [];
const winogradMiB = rewritten.reduce((a, n) => a + tok.weights.get(n)!.data.byteLength, 0) / 2 ** 20;
const leftAtLoad = tok.weights.size;
const loaded = rssMiB();
await tok.warmUp(["encoder", "decoder"]);
const opened = rssMiB();
const peak = Number(/VmHWM:\s+(\d+)/.exec(status())![1]) / 1024;
await tok.release();
console.log(
  JSON.stringify({
    start,
    loaded,
    opened,
    peak,
    weightMiB: (tok.parameterCount * 4) / 2 ** 20,
    winogradMiB,
    leftAtLoad,
    left: tok.weights.size,
  }),
);
