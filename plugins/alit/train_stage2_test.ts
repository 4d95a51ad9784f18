/**
 * ALIT stage 2 against upstream's module in train mode (tests/testdata/alit_stage2/README.md): at
 * iteration 3 with the adversarial weight 0.2, the generator step's loss and each term (L1, LPIPS on
 * [0, 1] images, the GAN term −mean D₃(x̂), the adaptive weight, VQ), the reconstruction, parameter
 * gradients and the BatchNorm statistics after D₃'s call on x̂; the discriminator step's hinge loss,
 * mean logits, gradients and statistics after its two calls.
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
import { readSafetensors } from "../../core/weights/safetensors.ts";
import { STAGE2_GAN_WEIGHT, STAGE2_ITERATION as K, stage2FixtureWeights } from "./_stage2_fixture.ts";
import { alit, loadAlit } from "./mod.ts";
import { alitLoss } from "./train.ts";
import { ALIT_DISCRIMINATORS, alitGan } from "./train_stage2.ts";

const DIR = new URL("../../tests/testdata/", import.meta.url).pathname;
const REF = readSafetensors(`${DIR}alit_stage2/reference.safetensors`);
const want = (k: string) => REF.tensors.get(k)!;
const cfg = () => alit.schema.parse(alit.presets["test_vqgan"]);

function relErr(a: Tensor, b: Tensor): number {
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

const fixture = stage2FixtureWeights(2, 64);
const buffers = () => Object.fromEntries([...fixture].filter(([k]) => k.includes(".running_")));

Deno.test("alit stage 2: the generator step (L1, LPIPS, adaptive-weighted GAN term, VQ) matches upstream at iteration 3", async () => {
  const c = cfg();
  const settings = alitGan("stage2")!;
  const loss = withAdversarialState(alitLoss(c, {
    stage: "stage2",
    batch: 2,
    variant: K,
    perceptual: { weight: 1, build: (g, r, f) => perceptualLoss(g, r, f, "lpips", { rescale: false }) },
    adversarial: networkAdversarialTerm(settings, ALIT_DISCRIMINATORS, K),
  }));
  const g = new Graph("alit_stage2_generator");
  const parts = loss(g);
  const names = [...REF.tensors.keys()].filter((k) => k.startsWith("g.grad.")).map((k) => k.slice(7));
  const grads = gradients(g, parts.total, names);
  g.output(parts.total, "loss");
  for (const [k, v] of Object.entries(parts.terms)) g.output(v, `loss.${k}`);
  g.output(parts.outputs!.reconstruction, "reconstruction");
  for (const [k, v] of Object.entries(parts.state!)) g.output(v, `new.${k}`);
  for (const n of names) g.output(grads.get(n)!, `grad.${n}`);
  const weights = new Map([
    ...loadAlit(readSafetensors(`${DIR}alit/model.safetensors`).tensors, c),
    ...fixture,
  ]);
  const s = await Session.create(g, weights, { threads: 2 });
  const image = readSafetensors(`${DIR}alit/train_reference.safetensors`).tensors.get("image")!;
  let r: Record<string, Tensor>;
  try {
    r = await s.run({
      image,
      gan_weight: { dtype: "float32", shape: [], data: Float32Array.of(STAGE2_GAN_WEIGHT) },
      ...buffers(),
    });
  } finally {
    await s.release();
  }
  const up = JSON.parse(REF.metadata.generator_terms) as Record<string, number>;
  const checks: [string, number, number][] = [
    ["loss", num(r.loss), Number(REF.metadata.generator_loss)],
    ["nll", num(r["loss.l1"]) + num(r["loss.perceptual"]), up[`train/nll_loss_${K}`]],
    ["perceptual", num(r["loss.perceptual"]), up[`train/p_loss_${K}`]],
    ["gan", num(r["loss.gan"]), up[`train/g_loss_${K}`]],
    ["gan_weight", num(r["loss.gan_weight"]), up[`train/d_weight_${K}`]],
    ["quantizer", num(r["loss.quantizer"]), up[`quantization_loss_${K}`]],
  ];
  // The adaptive weight is a ratio of two gradient norms: float32 summation order shows at ~1e-4.
  for (const [what, got, exp] of checks) {
    ok(rel(got, exp) < (what === "gan_weight" ? 3e-4 : 2e-5), `${what}: ${got} vs upstream ${exp}`);
  }
  ok(
    relErr(r.reconstruction, want("reconstruction")) < 5e-5,
    `reconstruction: ${relErr(r.reconstruction, want("reconstruction"))}`,
  );
  deepStrictEqual(Object.keys(parts.state!).length, 6);
  for (const k of Object.keys(parts.state!)) {
    ok(
      relErr(r[`new.${k}`], want(`g.new.${k}`)) < 1e-5,
      `new ${k}: ${relErr(r[`new.${k}`], want(`g.new.${k}`))}`,
    );
  }
  ok(names.length >= 8);
  for (const n of names) {
    const e = relErr(r[`grad.${n}`], want(`g.grad.${n}`));
    // Ill-conditioned in float32: torch's own gradients on 1 vs 2 threads differ by up to 8.5e-4 here
    // (tests/testdata/alit_stage2/README.md); ours sit within a few times that.
    ok(e < 5e-3, `grad ${n}: relative L2 error ${e}`);
  }
});

Deno.test("alit stage 2: the discriminator step (hinge on D₃(x), D₃(x̂), BatchNorm per call) matches upstream", async () => {
  const loss = networkDiscriminatorLoss(
    { batch: 2, imageSize: 64, settings: { factor: 1 } },
    ALIT_DISCRIMINATORS,
    K,
  );
  const g = new Graph("alit_stage2_discriminator");
  const parts = loss(g);
  const names = [...REF.tensors.keys()].filter((k) => k.startsWith("d.grad.")).map((k) => k.slice(7));
  const grads = gradients(g, parts.total, names);
  g.output(parts.total, "loss");
  for (const [k, v] of Object.entries(parts.terms)) g.output(v, `loss.${k}`);
  for (const [k, v] of Object.entries(parts.state!)) g.output(v, `new.${k}`);
  for (const n of names) g.output(grads.get(n)!, `grad.${n}`);
  const s = await Session.create(g, fixture, { threads: 2 });
  const image = readSafetensors(`${DIR}alit/train_reference.safetensors`).tensors.get("image")!;
  let r: Record<string, Tensor>;
  try {
    r = await s.run({ image, reconstruction: want("reconstruction"), ...buffers() });
  } finally {
    await s.release();
  }
  const up = JSON.parse(REF.metadata.discriminator_terms) as Record<string, number>;
  ok(
    rel(num(r.loss), up[`train/disc_loss_${K}`]) < 1e-5,
    `hinge ${num(r.loss)} vs ${up[`train/disc_loss_${K}`]}`,
  );
  ok(rel(num(r["loss.logits_real"]), up[`train/logits_real_${K}`]) < 1e-5, "mean D(x)");
  ok(rel(num(r["loss.logits_fake"]), up[`train/logits_fake_${K}`]) < 1e-5, "mean D(x̂)");
  for (const k of Object.keys(parts.state!)) {
    ok(relErr(r[`new.${k}`], want(`d.new.${k}`)) < 1e-5, `new ${k}`);
  }
  ok(names.length === 10);
  for (const n of names) {
    const e = relErr(r[`grad.${n}`], want(`d.grad.${n}`));
    ok(e < 1e-4, `grad ${n}: relative L2 error ${e}`);
  }
});
