/**
 * ALIT training: the stage-1 loss (every term, every iteration) and the
 * gradients of a spread of parameters equal upstream's module in train mode
 * on tests/testdata/alit/model.safetensors with the recorded halting draws
 * (tests/testdata/alit/train_reference.safetensors, see README.md there); the
 * base tokenizer is frozen; a few steps on a fixed
 * batch lower the loss.
 */
import { deepStrictEqual, ok, throws } from "node:assert";
import { gradients } from "../../core/autodiff/grad.ts";
import { UsageError } from "../../core/errors.ts";
import { Graph } from "../../core/graph/graph.ts";
import { Session } from "../../core/runtime/mod.ts";
import type { Tensor } from "../../core/tensor.ts";
import { readSafetensors } from "../../core/weights/safetensors.ts";
import { alit, loadAlit } from "./mod.ts";
import { alitLoss, alitTrainable, haltingDraws, timmDecays } from "./train.ts";

const DIR = new URL("../../tests/testdata/alit/", import.meta.url).pathname;
const ref = readSafetensors(`${DIR}train_reference.safetensors`);
const cfg = () => alit.schema.parse(alit.presets["test_vqgan"]);
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** The recorded draws of iterations 0…6 (the 8th changes nothing) as `halting_u` (B, 7, N). */
function haltingU(): Tensor {
  const u = ref.tensors.get("halting_u")!;
  const [b, iters, n] = u.shape as number[];
  const data = new Float32Array(b * (iters - 1) * n);
  for (let i = 0; i < b; i++) {
    data.set(
      (u.data as Float32Array).subarray(i * iters * n, (i * iters + iters - 1) * n),
      i * (iters - 1) * n,
    );
  }
  return { dtype: "float32", shape: [b, iters - 1, n], data };
}

Deno.test("alit stage 1: the loss, its terms and gradients match upstream's module in train mode", async () => {
  const c = cfg();
  const o = { stage: "stage1", batch: 2 };
  const g = new Graph("alit_stage1_parity");
  const { terms, total, feeds } = alitLoss(c, o)(g);
  deepStrictEqual(Object.keys(feeds!).sort(), ["halting_u", "image"]);
  const want = [...ref.tensors.keys()].filter((k) => k.startsWith("grad.")).map((k) => k.slice(5));
  const grads = gradients(g, total, want);
  g.output(total, "loss");
  for (const [k, v] of Object.entries(terms)) g.output(v, `loss.${k}`);
  for (const [n, v] of grads) g.output(v, `grad.${n}`);
  const weights = loadAlit(readSafetensors(`${DIR}model.safetensors`).tensors, c);
  const s = await Session.create(g, weights, { threads: 2 });
  let out: Record<string, Tensor>;
  try {
    out = await s.run({ image: ref.tensors.get("image")!, halting_u: haltingU() });
  } finally {
    await s.release();
  }
  const meta = ref.metadata!;
  const loss = Number(out.loss.data[0]);
  ok(relErr(loss, Number(meta.loss)) < 1e-5, `loss ${loss} vs upstream ${meta.loss}`);
  const up = JSON.parse(meta.terms) as Record<string, number>;
  const sum = { code: 0, quantizer: 0 };
  for (let i = 0; i < 8; i++) {
    const nll = Number(out[`loss.nll_${i}`].data[0]);
    ok(relErr(nll, up[`nll_loss_${i}`]) < 1e-5, `nll ${i}: ${nll} vs ${up[`nll_loss_${i}`]}`);
    sum.code += up[`code_loss_${i}`];
    sum.quantizer += up[`quantization_loss_${i}`];
  }
  for (const k of ["code", "quantizer"] as const) {
    const got = Number(out[`loss.${k}`].data[0]);
    ok(relErr(got, sum[k]) < 1e-4, `${k}: ${got} vs ${sum[k]}`);
  }
  for (const n of want) {
    const a = out[`grad.${n}`].data as Float32Array;
    const b = ref.tensors.get(`grad.${n}`)!.data as Float32Array;
    let diff = 0, norm = 0;
    for (let i = 0; i < b.length; i++) {
      diff += (a[i] - b[i]) ** 2;
      norm += b[i] ** 2;
    }
    ok(norm > 0, `${n}: the reference gradient is not zero`);
    ok(Math.sqrt(diff / norm) < 1e-5, `${n}: relative L2 error ${Math.sqrt(diff / norm)}`);
  }
});

Deno.test("alit training: base tokenizer frozen, timm's no-decay rule, seeded halting draws", () => {
  const c = cfg();
  const t = alitTrainable(c, { stage: "stage1" });
  ok(
    !t("base_tokenizer.vqgan.encoder.conv_in.weight") && t("quantize.embedding.weight") &&
      t("timestep_embedding"),
  );
  ok(timmDecays("latent_tokens", [32, 48]) && timmDecays("encoder_mask_token", [1, 1, 48]));
  ok(!timmDecays("patch_embed.bias", [32]) && !timmDecays("encoder_ln_pre.weight", [48]));
  const input = { name: "halting_u", dtype: "float32" as const, shape: [2, 7, 256] };
  const ctx = (step: number) => ({ input, step, seed: 0, images: () => Promise.reject(new Error("unused")) });
  const [a, b, a2] = [haltingDraws(ctx(0)), haltingDraws(ctx(1)), haltingDraws(ctx(0))];
  deepStrictEqual(a.data, a2.data);
  ok(a.data.some((v, i) => v !== b.data[i]));
  ok((a.data as Float32Array).every((v) => v >= 0 && v < 1));
});

Deno.test("alit stage 2: one graph per iteration k (the step variants); its L1 is upstream's reconstruction's at k", async () => {
  const c = cfg();
  deepStrictEqual(alit.train!.variants!(c, "stage2"), 8);
  deepStrictEqual(alit.train!.variants!(c, "stage1"), 1);
  throws(() => alitLoss(c, { stage: "stage2", batch: 1, variant: 8 }), UsageError);
  const t = alitTrainable(c, { stage: "stage2" });
  ok(
    t("base_tokenizer.vqgan.decoder.conv_out.weight") && !t("base_tokenizer.vqgan.quantize.embedding.weight"),
  );
  const inf = readSafetensors(`${DIR}reference.safetensors`);
  const weights = loadAlit(readSafetensors(`${DIR}model.safetensors`).tensors, c);
  const l1At = async (k: number) => {
    const g = new Graph(`alit_stage2_check_${k}`);
    const { terms, feeds, outputs } = alitLoss(c, { stage: "stage2", batch: 1, variant: k })(g);
    deepStrictEqual(Object.keys(feeds!), ["image"]);
    ok(outputs!.reconstruction);
    // Iteration k's graph holds k + 1 encoder passes and one decoder (the first k pass no latents on).
    ok(!g.params.has("encoder_ln_recursive.weight") === (k === 0));
    g.output(terms.l1, "l1");
    const s = await Session.create(g, weights, { threads: 2 });
    try {
      return Number((await s.run({ image: inf.tensors.get("image")! })).l1.data[0]);
    } finally {
      await s.release();
    }
  };
  // The reference halts between iterations (an evaluation forward), so only iteration 0 compares.
  const want = JSON.parse(inf.metadata.l1_per_iteration)[0];
  const got = await l1At(0);
  ok(relErr(got, want) < 1e-5, `L1 at iteration 0: ${got} vs upstream ${want}`);
  ok(await l1At(5) !== got, "another iteration, another reconstruction");
});

Deno.test("alit stage 2: L1 + VQ loss and gradients (base VQGAN included) match upstream's full fine-tuning at iteration 2", async () => {
  const c = cfg();
  const s2 = readSafetensors(`${DIR}stage2_reference_2.safetensors`);
  const g = new Graph("alit_stage2_parity");
  const { terms, total } = alitLoss(c, { stage: "stage2", batch: 2, variant: 2 })(g);
  const want = [...s2.tensors.keys()].map((k) => k.slice(5));
  const trainable = alitTrainable(c, { stage: "stage2" });
  ok(want.every(trainable));
  const grads = gradients(g, total, want);
  g.output(total, "loss");
  for (const [k, v] of Object.entries(terms)) g.output(v, `loss.${k}`);
  for (const [n, v] of grads) g.output(v, `grad.${n}`);
  const s = await Session.create(g, loadAlit(readSafetensors(`${DIR}model.safetensors`).tensors, c), {
    threads: 2,
  });
  let out: Record<string, Tensor>;
  try {
    out = await s.run({ image: ref.tensors.get("image")! });
  } finally {
    await s.release();
  }
  const up = JSON.parse(s2.metadata.terms) as Record<string, number>;
  const loss = Number(out.loss.data[0]);
  ok(relErr(loss, Number(s2.metadata.loss)) < 1e-5, `loss ${loss} vs upstream ${s2.metadata.loss}`);
  const l1 = Number(out["loss.l1"].data[0]), vq = Number(out["loss.quantizer"].data[0]);
  ok(relErr(l1, up["train/rec_loss_2"]) < 1e-5, `L1 ${l1} vs ${up["train/rec_loss_2"]}`);
  ok(relErr(vq, up["quantization_loss_2"]) < 1e-5, `VQ ${vq} vs ${up["quantization_loss_2"]}`);
  for (const n of want) {
    const a = out[`grad.${n}`].data as Float32Array;
    const b = s2.tensors.get(`grad.${n}`)!.data as Float32Array;
    let diff = 0, norm = 0;
    for (let i = 0; i < b.length; i++) {
      diff += (a[i] - b[i]) ** 2;
      norm += b[i] ** 2;
    }
    ok(norm > 0, `${n}: the reference gradient is not zero`);
    ok(Math.sqrt(diff / norm) < 1e-4, `${n}: relative L2 error ${Math.sqrt(diff / norm)}`);
  }
});
