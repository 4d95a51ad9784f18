/**
 * Where a train step's time goes: runs a bench config's train step (bench/_train_util.ts) with ONNX
 * Runtime's profiler on and prints kernel time by region (forward, backward, clip, AdamW, EMA), by op
 * type within each region, and the backward by the forward op it differentiates. Backward nodes are
 * named `grad.<forward node>/<op>_<n>` by core/autodiff/grad.ts, which is what makes the last table
 * possible.
 *
 *   deno run -A bench/profile_train.ts [--config s128_single] [--threads 2] [--warmup 3] [--steps 2] [--top 25]
 *
 * The `--warmup` steps are not counted; the figures are per step (mean over the timed steps). The first
 * steps are not representative: until ORT's arena and glibc's heap have grown to the step's high-water
 * mark they page-fault hundreds of thousands of fresh pages (S-128-shaped: ~570 k in step 1, ~170–350 k
 * in step 2, some in step 3, none from step 4 on).
 * @module
 */
import { readFileSync, rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { benchWeights, buildBenchStep, Stepper, TRAIN_CONFIGS } from "./_train_util.ts";
import { randomImages } from "./_titok_util.ts";

/** One kernel event of ORT's Chrome-trace profile. */
export interface KernelEvent {
  node: string;
  op: string;
  us: number;
}

/** The kernel events of an ORT profile file, in run order. */
export function kernelEvents(path: string): KernelEvent[] {
  const events = JSON.parse(readFileSync(path, "utf8")) as {
    cat: string;
    name: string;
    dur: number;
    args?: { op_name?: string };
  }[];
  return events.filter((e) => e.cat === "Node" && e.name.endsWith("_kernel_time")).map((e) => ({
    node: e.name.slice(0, -"_kernel_time".length),
    op: e.args?.op_name ?? "?",
    us: e.dur,
  }));
}

/** The region a node belongs to, from its name (scopes of core/autodiff/train_step.ts and grad.ts). */
export function region(node: string): string {
  if (node.startsWith("grad.")) return "backward";
  for (const r of ["clip", "adamw", "ema"]) {
    if (node.startsWith(`${r}/`) || node.startsWith(`${r}.`)) return r;
  }
  return "forward";
}

/** The forward op type a backward node differentiates (`grad.a.b/MatMul_3/Mul_9` → MatMul). */
export function forwardOp(node: string): string {
  const m = node.match(/^grad\.[^/]*\/([A-Za-z]+)_\d+/);
  return m ? m[1] : "?";
}

function table(title: string, rows: Map<string, [number, number]>, total: number, top: number): void {
  console.log(`\n${title}`);
  const sorted = [...rows].sort((a, b) => b[1][0] - a[1][0]).slice(0, top);
  for (const [k, [us, n]] of sorted) {
    console.log(
      `  ${k.padEnd(34)} ${(us / 1e6).toFixed(3).padStart(7)} s ${
        (100 * us / total).toFixed(1).padStart(5)
      } %  ${String(n).padStart(6)} kernels`,
    );
  }
}

function tally(events: KernelEvent[], key: (e: KernelEvent) => string, steps: number) {
  const m = new Map<string, [number, number]>();
  for (const e of events) {
    const k = key(e);
    const r = m.get(k) ?? [0, 0];
    r[0] += e.us / steps;
    r[1] += 1 / steps;
    m.set(k, r);
  }
  for (const r of m.values()) r[1] = Math.round(r[1]);
  return m;
}

if (import.meta.main) {
  const { values: a } = parseArgs({
    options: {
      config: { type: "string", default: "s128_single" },
      threads: { type: "string", default: "2" },
      steps: { type: "string", default: "2" },
      warmup: { type: "string", default: "3" },
      top: { type: "string", default: "25" },
    },
  });
  const c = TRAIN_CONFIGS[a.config];
  if (!c) throw new Error(`--config: expected one of ${Object.keys(TRAIN_CONFIGS).join(", ")}`);
  const step = buildBenchStep(c);
  const prefix = await Deno.makeTempFile({ prefix: "tok1d_profile" });
  const stepper = await Stepper.open(step, benchWeights(step, 0), {
    threads: Number(a.threads),
    profile: prefix,
  });
  const image = randomImages(c.batch, c.config.dataset.preprocessing.crop_size, 7);
  const steps = Number(a.steps);
  const warmup = Number(a.warmup);
  const walls: number[] = [];
  for (let s = 0; s < warmup + steps; s++) walls.push((await stepper.run(image)).seconds);
  const file = stepper.endProfiling(prefix);
  await stepper.release();
  const all = kernelEvents(file);
  rmSync(file);
  rmSync(prefix);
  // Drop the warm-up steps: every step runs the same kernels, so they are the first warmup/(warmup+steps).
  const perStep = all.length / (warmup + steps);
  const events = all.slice(perStep * warmup);
  const total = events.reduce((s, e) => s + e.us, 0) / steps;
  const top = Number(a.top);
  console.log(
    `${c.name}, batch ${c.batch}, ${a.threads} threads: ${step.graph.nodes.length} graph nodes, ${perStep} kernels ` +
      `per step after ORT's optimizations; kernel time ${(total / 1e6).toFixed(2)} s/step, wall ` +
      walls.slice(warmup).map((w) => w.toFixed(2)).join(", ") + " s",
  );
  table("by region", tally(events, (e) => region(e.node), steps), total, top);
  table("by region / op", tally(events, (e) => `${region(e.node)} ${e.op}`, steps), total, top);
  const back = events.filter((e) => region(e.node) === "backward");
  table(
    "backward by the forward op it differentiates",
    tally(back, (e) => forwardOp(e.node), steps),
    total,
    top,
  );
  table(
    "backward by forward op / kernel op",
    tally(back, (e) => `${forwardOp(e.node)} → ${e.op}`, steps),
    total,
    top,
  );
}
