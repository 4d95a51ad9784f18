/**
 * The stage-2 parity checks both bases share (train_stage2_test.ts over the
 * VQGAN, train_stage2_vae_test.ts over the KL VAE): build the generator step
 * at the fixture's iteration with LPIPS on [0, 1] images and the adaptive-
 * weighted GAN term, or the discriminator step, run it on the fixture's
 * weights, and compare every term, x̂, the BatchNorm statistics and the named
 * gradients with an upstream reference laid out as
 * tests/testdata/alit_stage2/README.md describes.
 * @module
 */
import { deepStrictEqual, ok } from "node:assert";
import { gradients } from "../../core/autodiff/grad.ts";
import { Graph } from "../../core/graph/graph.ts";
import { perceptualLoss } from "../../core/losses/perceptual.ts";
import { Session } from "../../core/runtime/mod.ts";
import type { Tensor } from "../../core/tensor.ts";
import {
  networkAdversarialTerm,
  networkDiscriminatorLoss,
  withAdversarialState,
} from "../../core/train/gan.ts";
import type { Safetensors } from "../../core/weights/safetensors.ts";
import { STAGE2_GAN_WEIGHT, STAGE2_ITERATION as K, stage2FixtureWeights } from "./_stage2_fixture.ts";
import type { AlitConfig } from "./config.ts";
import { alitLoss } from "./train.ts";
import { ALIT_DISCRIMINATORS, alitGan } from "./train_stage2.ts";

/** Relative L2 error of `a` against `b`. */
export function relErr(a: Tensor, b: Tensor): number {
  deepStrictEqual(a.shape, b.shape);
  let diff = 0, norm = 0;
  for (let i = 0; i < b.data.length; i++) {
    diff += (Number(a.data[i]) - Number(b.data[i])) ** 2;
    norm += Number(b.data[i]) ** 2;
  }
  return Math.sqrt(diff / Math.max(norm, 1e-30));
}
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
const num = (t: Tensor) => Number(t.data[0]);

/** Bounds of one base's checks. */
export interface Stage2Bounds {
  /** Loss terms (the adaptive weight has its own). */
  terms: number;
  gan_weight: number;
  reconstruction: number;
  /** The generator's parameter gradients (relative L2). */
  grads: number;
}

/** What one comparison measured, by quantity (for the README's numbers). */
export type Measured = Record<string, number>;

const fixture = stage2FixtureWeights(2, 64);
const buffers = () => Object.fromEntries([...fixture].filter(([k]) => k.includes(".running_")));

/**
 * Runs the generator step of `c` at iteration 3 with weight 0.2 on `model` (loaded weights) plus the fixture's
 * LPIPS and discriminator, on `feeds` (image, and noise for the VAE), and checks it against `ref`.
 */
export async function checkGeneratorStep(
  c: AlitConfig,
  model: Map<string, Tensor>,
  feeds: Record<string, Tensor>,
  ref: Safetensors,
  bounds: Stage2Bounds,
): Promise<Measured> {
  const want = (k: string) => ref.tensors.get(k)!;
  const loss = withAdversarialState(alitLoss(c, {
    stage: "stage2",
    batch: 2,
    variant: K,
    perceptual: { weight: 1, build: (g, r, f) => perceptualLoss(g, r, f, "lpips", { rescale: false }) },
    adversarial: networkAdversarialTerm(alitGan("stage2")!, ALIT_DISCRIMINATORS, K),
  }));
  const g = new Graph("alit_stage2_generator");
  const parts = loss(g);
  const names = [...ref.tensors.keys()].filter((k) => k.startsWith("g.grad.")).map((k) => k.slice(7));
  const grads = gradients(g, parts.total, names);
  g.output(parts.total, "loss");
  for (const [k, v] of Object.entries(parts.terms)) g.output(v, `loss.${k}`);
  g.output(parts.outputs!.reconstruction, "reconstruction");
  for (const [k, v] of Object.entries(parts.state!)) g.output(v, `new.${k}`);
  for (const n of names) g.output(grads.get(n)!, `grad.${n}`);
  const s = await Session.create(g, new Map([...model, ...fixture]), { threads: 2 });
  let r: Record<string, Tensor>;
  try {
    r = await s.run({
      ...feeds,
      gan_weight: { dtype: "float32", shape: [], data: Float32Array.of(STAGE2_GAN_WEIGHT) },
      ...buffers(),
    });
  } finally {
    await s.release();
  }
  const up = JSON.parse(ref.metadata.generator_terms) as Record<string, number>;
  const checks: [string, number, number][] = [
    ["loss", num(r.loss), Number(ref.metadata.generator_loss)],
    ["nll", num(r["loss.l1"]) + num(r["loss.perceptual"]), up[`train/nll_loss_${K}`]],
    ["perceptual", num(r["loss.perceptual"]), up[`train/p_loss_${K}`]],
    ["gan", num(r["loss.gan"]), up[`train/g_loss_${K}`]],
    ["gan_weight", num(r["loss.gan_weight"]), up[`train/d_weight_${K}`]],
    ["quantizer", num(r["loss.quantizer"]), up[`quantization_loss_${K}`]],
  ];
  const measured: Measured = {};
  for (const [what, got, exp] of checks) {
    const e = measured[what] = rel(got, exp);
    ok(e < (what === "gan_weight" ? bounds.gan_weight : bounds.terms), `${what}: ${got} vs upstream ${exp}`);
  }
  const e = measured.reconstruction = relErr(r.reconstruction, want("reconstruction"));
  ok(e < bounds.reconstruction, `reconstruction: ${e}`);
  deepStrictEqual(Object.keys(parts.state!).length, 6);
  for (const k of Object.keys(parts.state!)) {
    const e = measured[`new.${k}`] = relErr(r[`new.${k}`], want(`g.new.${k}`));
    ok(e < 1e-5, `new ${k}: ${e}`);
  }
  ok(names.length >= 8);
  for (const n of names) {
    const e = measured[`grad.${n}`] = relErr(r[`grad.${n}`], want(`g.grad.${n}`));
    ok(e < bounds.grads, `grad ${n}: relative L2 error ${e}`);
  }
  return measured;
}

/** Runs discriminator 3's step (hinge on D₃(x), D₃(x̂), BatchNorm per call) on `image` and ref's x̂; checks it. */
export async function checkDiscriminatorStep(image: Tensor, ref: Safetensors): Promise<Measured> {
  const want = (k: string) => ref.tensors.get(k)!;
  const loss = networkDiscriminatorLoss(
    { batch: 2, imageSize: 64, settings: { factor: 1 } },
    ALIT_DISCRIMINATORS,
    K,
  );
  const g = new Graph("alit_stage2_discriminator");
  const parts = loss(g);
  const names = [...ref.tensors.keys()].filter((k) => k.startsWith("d.grad.")).map((k) => k.slice(7));
  const grads = gradients(g, parts.total, names);
  g.output(parts.total, "loss");
  for (const [k, v] of Object.entries(parts.terms)) g.output(v, `loss.${k}`);
  for (const [k, v] of Object.entries(parts.state!)) g.output(v, `new.${k}`);
  for (const n of names) g.output(grads.get(n)!, `grad.${n}`);
  const s = await Session.create(g, fixture, { threads: 2 });
  let r: Record<string, Tensor>;
  try {
    r = await s.run({ image, reconstruction: want("reconstruction"), ...buffers() });
  } finally {
    await s.release();
  }
  const up = JSON.parse(ref.metadata.discriminator_terms) as Record<string, number>;
  const measured: Measured = {
    hinge: rel(num(r.loss), up[`train/disc_loss_${K}`]),
    logits_real: rel(num(r["loss.logits_real"]), up[`train/logits_real_${K}`]),
    logits_fake: rel(num(r["loss.logits_fake"]), up[`train/logits_fake_${K}`]),
  };
  ok(measured.hinge < 1e-5, `hinge ${num(r.loss)} vs ${up[`train/disc_loss_${K}`]}`);
  ok(measured.logits_real < 1e-5, "mean D(x)");
  ok(measured.logits_fake < 1e-5, "mean D(x̂)");
  for (const k of Object.keys(parts.state!)) {
    const e = measured[`new.${k}`] = relErr(r[`new.${k}`], want(`d.new.${k}`));
    ok(e < 1e-5, `new ${k}: ${e}`);
  }
  ok(names.length === 10);
  for (const n of names) {
    const e = measured[`grad.${n}`] = relErr(r[`grad.${n}`], want(`d.grad.${n}`));
    ok(e < 1e-4, `grad ${n}: relative L2 error ${e}`);
  }
  return measured;
}
