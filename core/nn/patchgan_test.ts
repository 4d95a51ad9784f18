/**
 * taming's PatchGAN with training-mode BatchNorm against upstream's PyTorch
 * module (float64, tests/testdata/patchgan/README.md): the hinge loss of
 * D(real) and D(fake) as two calls, the logits, every parameter gradient and
 * the running statistics after both calls; upstream's keys and shapes at the
 * default size.
 */
import { deepStrictEqual, ok } from "node:assert";
import { gradients } from "../autodiff/grad.ts";
import { Graph } from "../graph/graph.ts";
import { hingeDiscriminatorLoss } from "../losses/gan.ts";
import { Session } from "../runtime/mod.ts";
import type { Tensor } from "../tensor.ts";
import { readSafetensors } from "../weights/safetensors.ts";
import { Buffers } from "./batch_norm.ts";
import { PATCHGAN_CASE, patchGanCase } from "./_patchgan_fixture.ts";
import { patchGan, patchGanBuffers } from "./patchgan.ts";
import { near } from "./_parity.ts";

const REF = readSafetensors(
  new URL("../../tests/testdata/patchgan/reference.safetensors", import.meta.url).pathname,
);
const want = (k: string) => REF.tensors.get(k)!;

function relErr(a: Tensor, b: Tensor): number {
  deepStrictEqual(a.shape, b.shape);
  let diff = 0, norm = 0;
  for (let i = 0; i < b.data.length; i++) {
    diff += (Number(a.data[i]) - Number(b.data[i])) ** 2;
    norm += Number(b.data[i]) ** 2;
  }
  return Math.sqrt(diff / Math.max(norm, 1e-30));
}

Deno.test("patchGan: hinge loss, logits, gradients and running statistics match upstream PyTorch", async () => {
  const c = patchGanCase();
  const g = new Graph("patchgan");
  const real = g.input("real", "float32", c.real.shape);
  const fake = g.input("fake", "float32", c.fake.shape);
  const buffers = new Buffers(g);
  const [lr, lf] = g.scope(
    "discriminator",
    () => [patchGan(g, real, buffers, PATCHGAN_CASE), patchGan(g, fake, buffers, PATCHGAN_CASE)],
  );
  const loss = hingeDiscriminatorLoss(g, lr, lf);
  const params = [...g.params.keys()];
  const grads = gradients(g, loss, params);
  g.output(loss, "loss");
  g.output(lr, "logits_real");
  g.output(lf, "logits_fake");
  for (const p of params) g.output(grads.get(p)!, `grad.${p}`);
  const updates = buffers.updates();
  for (const [k, v] of Object.entries(updates)) g.output(v, `new.${k}`);
  const feeds = Object.fromEntries(Object.keys(updates).map((k) => [k, c.weights.get(k)!]));
  const s = await Session.create(g, c.weights, { threads: 1 });
  const r = await s.run({ real: c.real, fake: c.fake, ...feeds });
  await s.release();
  deepStrictEqual(r.logits_real.shape, [2, 1, 2, 2]);
  ok(Math.abs(Number(r.loss.data[0]) - Number(want("loss").data[0])) < 1e-5, "loss");
  near(r.logits_real, want("logits_real"), 1e-5, "logits_real");
  near(r.logits_fake, want("logits_fake"), 1e-5, "logits_fake");
  deepStrictEqual(Object.keys(updates).length, 6);
  for (const k of Object.keys(updates)) near(r[`new.${k}`], want(`new.${k}`), 1e-5, `new.${k}`);
  deepStrictEqual(params.length, 13);
  for (const p of params) {
    const e = relErr(r[`grad.${p}`], want(`grad.${p}`));
    ok(e < 1e-4, `grad.${p}: relative L2 error ${e}`);
  }
});

Deno.test("patchGan: upstream's keys and shapes at the default size; a 256-px image gives 30×30 logits", () => {
  const g = new Graph("patchgan_default");
  const buffers = new Buffers(g);
  const logits = patchGan(g, g.input("image", "float32", [1, 3, 256, 256]), buffers);
  deepStrictEqual(logits.shape, [1, 1, 30, 30]);
  deepStrictEqual(Object.fromEntries([...g.params.values()].map((p) => [p.name, p.shape])), {
    "main.0.weight": [64, 3, 4, 4],
    "main.0.bias": [64],
    "main.2.weight": [128, 64, 4, 4],
    "main.3.weight": [128],
    "main.3.bias": [128],
    "main.5.weight": [256, 128, 4, 4],
    "main.6.weight": [256],
    "main.6.bias": [256],
    "main.8.weight": [512, 256, 4, 4],
    "main.9.weight": [512],
    "main.9.bias": [512],
    "main.11.weight": [1, 512, 4, 4],
    "main.11.bias": [1],
  });
  deepStrictEqual(Object.keys(buffers.updates()), [...patchGanBuffers("").keys()]);
  ok([...patchGanBuffers("").values()].every((t) => t.shape[0] >= 128));
});
