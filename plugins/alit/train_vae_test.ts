/**
 * ALIT training over the KL VAE against upstream's `adaptive_vae.py` in train
 * mode (tests/testdata/alit_vae, see README.md there): the stage-1 distillation
 * loss (λ-weighted latent MSE + VQ at every iteration) and gradients, the
 * stage-2 L1 + VQ loss at iteration 2 with the VAE trainable and its
 * gradients, both on the recorded posterior noise; a short stage-1 run on the
 * sample photos lowers the loss.
 */
import { deepStrictEqual, ok } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gradients } from "../../core/autodiff/grad.ts";
import { Graph } from "../../core/graph/graph.ts";
import { Session } from "../../core/runtime/mod.ts";
import type { Tensor } from "../../core/tensor.ts";
import { trainTokenizer } from "../../core/train/train.ts";
import { readSafetensors } from "../../core/weights/safetensors.ts";
import { alit, loadAlit } from "./mod.ts";
import { alitLoss, alitTrainable } from "./train.ts";

const DIR = new URL("../../tests/testdata/alit_vae/", import.meta.url).pathname;
const PHOTOS = new URL("../../tests/testdata/photos", import.meta.url).pathname;
const ref = readSafetensors(`${DIR}train_reference.safetensors`);
const cfg = () => alit.schema.parse(alit.presets["test_vae"]);
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** Runs stage `stage` (variant k) on the reference batch; returns the loss, its terms and the named gradients. */
async function run(stage: string, variant: number | undefined, names: string[], noise: Tensor) {
  const c = cfg();
  const g = new Graph(`alit_vae_${stage}_parity`);
  const { terms, total, feeds } = alitLoss(c, { stage, batch: 2, variant })(g);
  deepStrictEqual(Object.keys(feeds!).sort(), ["image", "noise"]);
  const trainable = alitTrainable(c, { stage });
  ok(names.every(trainable), "every checked parameter trains in this stage");
  const grads = gradients(g, total, names);
  g.output(total, "loss");
  for (const [k, v] of Object.entries(terms)) g.output(v, `loss.${k}`);
  for (const [n, v] of grads) g.output(v, `grad.${n}`);
  const s = await Session.create(g, loadAlit(readSafetensors(`${DIR}model.safetensors`).tensors, c), {
    threads: 2,
  });
  try {
    return await s.run({ image: ref.tensors.get("image")!, noise });
  } finally {
    await s.release();
  }
}

function checkGrads(out: Record<string, Tensor>, want: Map<string, Tensor>, tol: number) {
  for (const [n, t] of want) {
    const a = out[`grad.${n}`].data as Float32Array, b = t.data as Float32Array;
    let diff = 0, norm = 0;
    for (let i = 0; i < b.length; i++) {
      diff += (a[i] - b[i]) ** 2;
      norm += b[i] ** 2;
    }
    ok(norm > 0, `${n}: the reference gradient is not zero`);
    ok(Math.sqrt(diff / norm) < tol, `${n}: relative L2 error ${Math.sqrt(diff / norm)}`);
  }
}

const gradsOf = (tensors: Map<string, Tensor>) =>
  new Map([...tensors].filter(([k]) => k.startsWith("grad.")).map(([k, t]) => [k.slice(5), t]));

Deno.test("alit vae stage 1: latent-MSE distillation loss, its terms and gradients match upstream", async () => {
  const want = gradsOf(ref.tensors);
  // Upstream's halting never fires for the VAE (it assigns into a copy): its mask token gets a zero gradient,
  // and tok1d's graph has no such parameter.
  const mask = want.get("encoder_mask_token")!;
  ok(mask && (mask.data as Float32Array).every((v) => v === 0), "upstream's mask-token gradient is 0");
  want.delete("encoder_mask_token");
  const out = await run("stage1", undefined, [...want.keys()], ref.tensors.get("noise")!);
  const meta = ref.metadata!;
  const loss = Number(out.loss.data[0]);
  ok(relErr(loss, Number(meta.loss)) < 1e-5, `loss ${loss} vs upstream ${meta.loss}`);
  const up = JSON.parse(meta.terms) as Record<string, number>;
  let vq = 0;
  for (let i = 0; i < 8; i++) {
    const mse = Number(out[`loss.code_${i}`].data[0]);
    ok(relErr(mse, up[`code_loss_${i}`]) < 1e-5, `code ${i}: ${mse} vs ${up[`code_loss_${i}`]}`);
    vq += up[`quantization_loss_${i}`];
  }
  const got = Number(out["loss.quantizer"].data[0]);
  ok(relErr(got, vq) < 1e-5, `quantizer: ${got} vs ${vq}`);
  checkGrads(out, want, 1e-4);
});

Deno.test("alit vae stage 2: L1 + VQ loss at iteration 2 and gradients (VAE included) match upstream", async () => {
  const s2 = readSafetensors(`${DIR}stage2_reference_2.safetensors`);
  const want = gradsOf(s2.tensors);
  const out = await run("stage2", 2, [...want.keys()], s2.tensors.get("noise")!);
  const up = JSON.parse(s2.metadata.terms) as Record<string, number>;
  const loss = Number(out.loss.data[0]);
  ok(relErr(loss, Number(s2.metadata.loss)) < 1e-5, `loss ${loss} vs upstream ${s2.metadata.loss}`);
  const l1 = Number(out["loss.l1"].data[0]), vq = Number(out["loss.quantizer"].data[0]);
  ok(relErr(l1, up["train/rec_loss_2"]) < 1e-5, `L1 ${l1} vs ${up["train/rec_loss_2"]}`);
  ok(relErr(vq, up["quantization_loss_2"]) < 1e-5, `VQ ${vq} vs ${up["quantization_loss_2"]}`);
  checkGrads(out, want, 1e-4);
});

Deno.test("alit vae stage 1: 12 steps on the sample photos lower the loss", async () => {
  const out = mkdtempSync(join(tmpdir(), "tok1d-alit-vae-"));
  try {
    const { log } = await trainTokenizer({
      model: "alit/test_vae",
      stage: "stage1",
      data: PHOTOS,
      out,
      steps: 12,
      batchSize: 2,
      lr: 5e-3,
      endLr: 5e-4,
      warmup: 2,
      seed: 0,
      checkpointEvery: 12,
      perceptual: false,
      threads: 2,
      quiet: true,
    });
    const losses = log.map((l) => l.loss);
    ok(losses.length === 12 && losses.every(Number.isFinite), `${losses}`);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    ok(mean(losses.slice(-3)) < 0.9 * mean(losses.slice(0, 3)), `${losses}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
