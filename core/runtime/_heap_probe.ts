/**
 * core/runtime/native_heap_test.ts runs this in a fresh process (in the test
 * runner's process, earlier tests' heap moves RSS): opens a session over a
 * 64 MiB stack of Linear weights and prints how much RSS grew, in MiB (JSON).
 * @module
 */
import { Graph } from "../graph/graph.ts";
import { linear } from "../nn/linear.ts";
import type { Tensor } from "../tensor.ts";
import { Session } from "./session.ts";
import { trimNativeHeap } from "./native_heap.ts";

const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1]) / 1024;
const layers = 16, d = 1024; // 4 MiB weights: ORT frees its staging copies in blocks glibc keeps
const g = new Graph("stack");
let x = g.input("x", "float32", [2, d]);
for (let i = 0; i < layers; i++) x = g.scope(`l${i}`, () => linear(g, x, d, d));
g.output(x, "y");
const weights = new Map<string, Tensor>();
for (let i = 0; i < layers; i++) {
  const w = new Float32Array(d * d).map((_, j) => Math.sin(j) * 0.01);
  weights.set(`l${i}.weight`, { dtype: "float32", shape: [d, d], data: w });
  weights.set(`l${i}.bias`, { dtype: "float32", shape: [d], data: new Float32Array(d) });
}
trimNativeHeap();
const before = rssMiB();
const s = await Session.create(g, weights, { threads: 1 });
const grown = rssMiB() - before;
await s.release();
console.log(JSON.stringify({ grown, weightMiB: (layers * (d * d + d) * 4) / 2 ** 20 }));
