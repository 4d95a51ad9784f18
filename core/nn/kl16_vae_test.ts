/**
 * MAR's KL-16 VAE against ALIT's upstream module (`base_tokenizers/vae_ldm.py`)
 * on seeded full-size weights and 32×32 images (tests/testdata/alit_base/):
 * upstream's `base_tokenizer.vae.*` keys and shapes, posterior mean/logvar,
 * ALIT's latent (sample with fed noise × 0.2325) and its decode of that latent.
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { Session } from "../runtime/mod.ts";
import { readSafetensors } from "../weights/safetensors.ts";
import { KL16_SEED, kl16Graph, seededWeights } from "./_alit_base_fixture.ts";
import { absErrors } from "./_parity.ts";
import { KL16, kl16Decode, kl16Latent } from "./kl16_vae.ts";

const DIR = new URL("../../tests/testdata/alit_base/", import.meta.url).pathname;

Deno.test("kl16_vae: declares exactly ALIT's base_tokenizer.vae.* keys and shapes", () => {
  const want = JSON.parse(Deno.readTextFileSync(`${DIR}kl16_keys.json`)) as Record<string, number[]>;
  const g = kl16Graph();
  deepStrictEqual(Object.fromEntries([...g.params.values()].map((p) => [p.name, p.shape])), want);
});

Deno.test("kl16_vae: 256² images give a 16×16×16 latent; attention sits at level 4 only", () => {
  const g = new Graph("kl16");
  const { latent } = kl16Latent(g, g.input("x", "float32", [1, 3, 256, 256]));
  deepStrictEqual(latent.shape, [1, KL16.zChannels, 16, 16]);
  deepStrictEqual(kl16Decode(g, latent).shape, [1, 3, 256, 256]);
  const attn = [...g.params.keys()].filter((k) => k.includes(".attn") && k.endsWith(".q.weight"));
  deepStrictEqual(attn, [
    "encoder.down.4.attn.0.q.weight",
    "encoder.down.4.attn.1.q.weight",
    "encoder.mid.attn_1.q.weight",
    "decoder.mid.attn_1.q.weight",
  ]);
});

Deno.test("kl16_vae: posterior, ALIT's scaled sample and its decode match upstream", async () => {
  const g = kl16Graph();
  const want = readSafetensors(`${DIR}kl16.safetensors`).tensors;
  const s = await Session.create(g, seededWeights(g, KL16_SEED), { threads: 2 });
  const out = await s.run({ image: want.get("image")!, noise: want.get("noise")! });
  await s.release();
  const report: string[] = [];
  for (const [k, tol] of [["mean", 1e-4], ["logvar", 1e-4], ["latent", 1e-4], ["decoded", 1e-3]] as const) {
    const e = absErrors(out[k], want.get(k)!, k);
    report.push(`${k}: max ${e.max.toExponential(2)} mean ${e.mean.toExponential(2)}`);
    ok(e.max <= tol, `${k}: max |Δ| ${e.max}`);
    if (k === "decoded") ok(e.mean <= 5e-5, `decoded: mean |Δ| ${e.mean}`);
  }
  console.log(report.join("; "));
});
