/**
 * BDD-1D training: every generator loss term (L1, LPIPS, taming's VQ loss,
 * the entropy regulariser, the DINO feature loss) and the gradients of the
 * total and of each term equal upstream's modules in train mode (torch 1.13)
 * on tests/testdata/bdd_1d/model.ckpt, seeded LPIPS weights and a tiny DINO
 * (tests/testdata/bdd_1d_train/, see its README); the entropy weight follows
 * upstream's scheduler; `--upstream-bugs` freezes only the projection.
 */
import { deepStrictEqual, ok, throws } from "node:assert";
import { gradients } from "../../core/autodiff/grad.ts";
import { UsageError } from "../../core/errors.ts";
import { Graph, type Value } from "../../core/graph/graph.ts";
import { perceptualLoss } from "../../core/losses/perceptual.ts";
import { randomPerceptualWeights } from "../../core/losses/perceptual_weights.ts";
import { Session } from "../../core/runtime/mod.ts";
import type { Tensor } from "../../core/tensor.ts";
import { loadCheckpoint } from "../../core/weights/checkpoint.ts";
import { readSafetensors } from "../../core/weights/safetensors.ts";
import { loadDino } from "./dino.ts";
import { bdd1d, loadBdd } from "./mod.ts";
import { bddAdam, bddLoss, bddPerceptual, bddTrainable, entropyWeightFeed } from "./train.ts";
import { bddEntropySchedule, entropyWeightAt } from "./train_config.ts";
import { bddGan, bddRecipe } from "./train_gan.ts";

const DIR = new URL("../../tests/testdata/bdd_1d_train/", import.meta.url).pathname;
const CKPT = new URL("../../tests/testdata/bdd_1d/model.ckpt", import.meta.url).pathname;
const cfg = () => bdd1d.schema.parse(bdd1d.presets["tiny"]);
const relL2 = (a: Float32Array, b: Float32Array) => {
  let d = 0, n = 0;
  for (let i = 0; i < b.length; i++) (d += (a[i] - b[i]) ** 2), (n += b[i] ** 2);
  return Math.sqrt(d / n);
};

Deno.test("bdd_1d training: loss terms and gradients match upstream's modules in train mode", async () => {
  const c = cfg();
  const ref = readSafetensors(`${DIR}reference.safetensors`);
  const lpips = {
    weight: 1,
    build: (g: Graph, a: Value, b: Value) => perceptualLoss(g, a, b, "lpips"),
  };
  const g = new Graph("bdd_train_parity");
  const { terms, total, feeds } = bddLoss(c, { stage: "ae_dino", batch: 4, perceptual: lpips })(g);
  deepStrictEqual(Object.keys(feeds!).sort(), ["entropy_weight", "image"]);
  const grads = [...ref.tensors.keys()].filter((k) => k.startsWith("grad."));
  const of = (term: string) =>
    grads.filter((k) => k.split(".")[1] === term).map((k) => k.split(".").slice(2).join("."));
  const values: Record<string, Value> = { ...terms, total };
  for (const term of ["total", "l1", "perceptual", "quantizer", "entropy", "dino"]) {
    for (const [p, v] of gradients(g, values[term], of(term))) g.output(v, `grad.${term}.${p}`);
  }
  g.output(total, "loss");
  for (const [k, v] of Object.entries(terms)) g.output(v, `loss.${k}`);
  const weights = loadBdd(loadCheckpoint(CKPT).tensors, c, () => {});
  for (const [k, t] of loadDino(readSafetensors(`${DIR}dino.safetensors`).tensors, c)) weights.set(k, t);
  for (const [k, t] of randomPerceptualWeights("lpips", 2024)) weights.set(k, t);
  // The reference's step is Lightning's global step, twice the optimiser step (train_config.ts).
  const step = Number(ref.metadata!.step) / 2;
  const ew = entropyWeightFeed(c);
  const input = { name: "entropy_weight", dtype: "float32" as const, shape: [1] };
  const entropyWeight = ew.kind === "custom"
    ? await ew.generate({ input, step, seed: 0, images: () => Promise.reject(new Error("-")) } as never)
    : undefined;
  ok(Math.abs(entropyWeight!.data[0] as number - Number(ref.metadata!.entropy_weight)) < 1e-9);
  const s = await Session.create(g, weights, { threads: 2 });
  let out: Record<string, Tensor>;
  try {
    out = await s.run({ image: ref.tensors.get("image")!, entropy_weight: entropyWeight! });
  } finally {
    await s.release();
  }
  const want = JSON.parse(ref.metadata!.terms) as Record<string, number>;
  const close = (name: string, got: number, exp: number) =>
    ok(Math.abs(got - exp) <= 2e-6 * Math.max(1, Math.abs(exp)), `${name}: ${got} vs upstream ${exp}`);
  for (const k of ["l1", "perceptual", "quantizer", "entropy", "dino"]) {
    close(k, Number(out[`loss.${k}`].data[0]), want[k]);
  }
  close("total", Number(out.loss.data[0]), want.total);
  // Float32 noise: torch's own float32 gradient against float64 (recorded per gradient); LPIPS on
  // 32-px images (2×2 relu5_3 taps) reaches 2e-3, everything else stays below 5e-5.
  const noise = JSON.parse(ref.metadata!.float32_noise) as Record<string, number>;
  for (const k of grads) {
    const err = relL2(out[k].data as Float32Array, ref.tensors.get(k)!.data as Float32Array);
    const tol = Math.max(3 * noise[k], 1e-5);
    ok(err < tol, `${k}: relative L2 error ${err} (torch's float32 noise ${noise[k]})`);
  }
});

Deno.test("bdd_1d training: upstream's entropy schedule, Adam, GAN and LPIPS settings; --upstream-bugs freezes ln only", () => {
  const c = cfg();
  const s = bddEntropySchedule(c);
  deepStrictEqual([0, 5000, 10_000, 20_000].map((t) => entropyWeightAt(s, t)), [0.1, 0.0505, 0.001, 0.001]);
  deepStrictEqual(bddAdam(c), { beta1: 0.5, beta2: 0.9, eps: 1e-8, weightDecay: 0, clipNorm: 0 });
  const { network, ...gan } = bddGan(c);
  deepStrictEqual(gan, {
    start: 5000,
    weight: 0.1,
    factor: 1,
    lecamWeight: 0,
    lr: 0,
    sameLr: true,
    order: "discriminator-first",
    discriminatorStepsFromZero: true,
    loss: "hinge",
  });
  deepStrictEqual([network!.prefix(0), network!.fromWeights], ["loss.discriminator.", true]);
  // main.py's rate: base_learning_rate × batch × GPUs × grad_acc_steps; the shipped config at batch 8.
  const k64 = bdd1d.schema.parse(bdd1d.presets["k64"]);
  const r = bddRecipe(k64, { batch: 8 });
  deepStrictEqual([r.accumulate, r.warmup, r.schedule], [16, 5000, "constant"]);
  ok(Math.abs(r.lr! - 1.024e-4) < 1e-12, `${r.lr}`);
  deepStrictEqual(bddRecipe(c, { batch: 4, accumulate: 2 }).accumulate, 2);
  deepStrictEqual(bddPerceptual(c), { spec: "lpips", weight: 1 });
  const fixed = bddTrainable(c, {}), buggy = bddTrainable(c, { params: { upstreamBugs: true } });
  ok(fixed("ln.weight") && fixed("ln.bias") && fixed("encoder.prompt_tokens"));
  ok(
    !buggy("ln.weight") && !buggy("ln.bias") && buggy("encoder.prompt_tokens") &&
      buggy("quantize.embedding.weight"),
  );
  throws(
    () => bddLoss(c, { stage: "stage1", batch: 1 }),
    (e: Error) => e instanceof UsageError && /ae, ae_dino/.test(e.message),
  );
  const bad = structuredClone(bdd1d.presets["tiny"]) as {
    model: { params: { loss_config: { params: Record<string, unknown> } } };
  };
  bad.model.params.loss_config.params.disc_weight = "high";
  throws(
    () => bddLoss(bdd1d.schema.parse(bad), { stage: "ae", batch: 1 }),
    (e: Error) => e instanceof UsageError && /loss_config\.params\.disc_weight/.test(e.message),
  );
});
