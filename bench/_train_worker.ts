/**
 * The tok1d side of bench/compare_train.ts, run as its own process so that its
 * peak memory (VmHWM) is the train step's alone: builds the single-stage train
 * step of a bench config, loads the weights, runs `--warmup` + `--steps` steps
 * on one batch and prints one JSON object (per-step losses and seconds, the
 * median timed step, VmRSS at start / after the session opened, VmHWM; KiB).
 *
 *   deno run -A bench/_train_worker.ts --config s128_single --weights DIR/model.safetensors \
 *     --image DIR/image.npy [--threads 2] [--steps 5] [--warmup 1] [--lr 1e-4] [--ema-decay 0.999]
 *     [--engine auto|node|direct] [--spinning on|off]
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { readNpy } from "../core/data/npy.ts";
import { readSafetensors } from "../core/weights/safetensors.ts";
import { buildBenchStep, Stepper, TRAIN_CONFIGS } from "./_train_util.ts";
import { median } from "./_titok_util.ts";

/** A field of /proc/self/status in KiB (VmRSS, VmHWM). */
export function procStatusKib(field: string): number | undefined {
  const m = readFileSync("/proc/self/status", "utf8").match(new RegExp(`^${field}:\\s*(\\d+)`, "m"));
  return m ? Number(m[1]) : undefined;
}

if (import.meta.main) {
  const { values: a } = parseArgs({
    options: {
      config: { type: "string" },
      weights: { type: "string" },
      image: { type: "string" },
      threads: { type: "string", default: "2" },
      steps: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      lr: { type: "string", default: "1e-4" },
      "ema-decay": { type: "string", default: "0.999" },
      engine: { type: "string", default: "auto" },
      spinning: { type: "string", default: "on" },
    },
  });
  const c = TRAIN_CONFIGS[a.config ?? ""];
  if (!c) throw new Error(`--config: expected one of ${Object.keys(TRAIN_CONFIGS).join(", ")}`);
  const rssStart = procStatusKib("VmRSS");
  const step = buildBenchStep(c);
  const weights = readSafetensors(a.weights!).tensors;
  const image = readNpy(a.image!);
  const t0 = performance.now();
  const stepper = await Stepper.open(step, weights, {
    threads: Number(a.threads),
    lr: Number(a.lr),
    emaDecay: Number(a["ema-decay"]),
    engine: a.engine as "node" | "direct" | "auto",
    spinning: a.spinning !== "off",
  });
  const openSeconds = (performance.now() - t0) / 1000;
  const rssReady = procStatusKib("VmRSS");
  const warmup = Number(a.warmup);
  const log = [];
  for (let s = 0; s < warmup + Number(a.steps); s++) {
    const r = await stepper.run(image);
    log.push({
      step: s + 1,
      loss: r.loss,
      terms: r.terms,
      grad_norm: r.gradNorm,
      seconds: r.seconds,
      cpu_s: r.cpuSeconds,
      warmup: s < warmup,
    });
  }
  await stepper.release();
  console.log(JSON.stringify({
    threads: Number(a.threads),
    engine: stepper.engine,
    batch: image.shape[0],
    median_s: median(log.filter((l) => !l.warmup).map((l) => l.seconds)),
    median_cpu_s: median(log.filter((l) => !l.warmup).map((l) => l.cpu_s)),
    session_open_s: openSeconds,
    nodes: step.graph.nodes.length,
    params: step.trainable.reduce((n, p) => n + p.shape.reduce((x, y) => x * y, 1), 0),
    log,
    rss_start_kib: rssStart,
    rss_ready_kib: rssReady,
    vmhwm_kib: procStatusKib("VmHWM"),
  }));
}
