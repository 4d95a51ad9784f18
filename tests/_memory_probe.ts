/**
 * tests/memory_test.ts runs this in a fresh process (type checking in the test
 * runner's own process moves RSS by 100+ MiB): loads random TiTok-S-128
 * weights for a reconstruct job, opens the encoder and decoder sessions, and
 * prints RSS before and after the sessions opened, the weights' size and how
 * many weights are still in JS (MiB; JSON on stdout).
 * @module
 */
import { loadTokenizer } from "../core/tokenizer.ts";

const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1]) / 1024;
const tok = await loadTokenizer("titok/s128", {
  random: true,
  threads: 1,
  programs: ["encode", "decodeLatent"],
});
const loaded = rssMiB();
await tok.warmUp(["encoder", "decoder"]);
const opened = rssMiB();
await tok.release();
console.log(
  JSON.stringify({ loaded, opened, weightMiB: (tok.parameterCount * 4) / 2 ** 20, left: tok.weights.size }),
);
