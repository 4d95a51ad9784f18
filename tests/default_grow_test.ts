/**
 * weights/default/grow.py (how the embedded default got its depth): the grown
 * model — two identity blocks appended to each half of a trained 2-layer
 * TiTok — reconstructs exactly what the original does, its ids included, and
 * the new blocks are the only added keys. Needs python3 with numpy (CI
 * installs python3-numpy); skipped where it is missing.
 */
import { deepStrictEqual, ok } from "node:assert";
import { loadTokenizer } from "../core/tokenizer.ts";
import { readSafetensors, writeSafetensors } from "../core/weights/safetensors.ts";
import type { Tensor } from "../core/tensor.ts";

const GROW = new URL("../weights/default/grow.py", import.meta.url).pathname;
const numpy = (() => {
  try {
    return new Deno.Command("python3", { args: ["-c", "import numpy"] }).outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "default grow.py: appended identity blocks leave every output as it was",
  ignore: !numpy,
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "tok1d-grow-" });
    try {
      const config = (layers?: number) =>
        JSON.stringify({
          model: {
            vq_model: {
              quantize_mode: "fsq",
              fsq_levels: [5, 5, 5, 5],
              token_size: 4,
              vit_enc_model_size: "tiny",
              vit_dec_model_size: "tiny",
              ...(layers ? { vit_enc_num_layers: layers, vit_dec_num_layers: layers } : {}),
              vit_enc_patch_size: 8,
              vit_dec_patch_size: 8,
              num_latent_tokens: 16,
              finetune_decoder: false,
              is_legacy: false,
            },
          },
          dataset: { preprocessing: { crop_size: 32 } },
        });
      for (const [name, layers] of [["two", undefined], ["four", 4]] as const) {
        Deno.mkdirSync(`${dir}/${name}`);
        Deno.writeTextFileSync(`${dir}/${name}/config.json`, config(layers));
      }
      const src = await loadTokenizer(`${dir}/two`, { random: true, seed: 4, keepWeights: true, threads: 1 });
      writeSafetensors(`${dir}/two/model.safetensors`, src.weights);
      await src.release();
      const r = new Deno.Command("python3", {
        args: [GROW, `${dir}/two/model.safetensors`, `${dir}/four/model.safetensors`, "4"],
      }).outputSync();
      ok(r.success, new TextDecoder().decode(r.stderr));
      const before = readSafetensors(`${dir}/two/model.safetensors`).tensors;
      const after = readSafetensors(`${dir}/four/model.safetensors`).tensors;
      const added = [...after.keys()].filter((k) => !before.has(k));
      deepStrictEqual(
        new Set(added.map((k) => k.split(".").slice(0, 3).join("."))),
        new Set([
          "encoder.transformer.2",
          "encoder.transformer.3",
          "decoder.transformer.2",
          "decoder.transformer.3",
        ]),
      );
      for (const [k, t] of before) deepStrictEqual(after.get(k)!.data, t.data, `${k} is unchanged`);
      const images: Tensor = {
        dtype: "float32",
        shape: [2, 3, 32, 32],
        data: Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => (i % 61) / 61),
      };
      const [a, b] = [
        await loadTokenizer(`${dir}/two`, { threads: 1 }),
        await loadTokenizer(`${dir}/four`, { threads: 1 }),
      ];
      const [ra, rb] = [await a.reconstruct(images), await b.reconstruct(images)];
      await a.release();
      await b.release();
      deepStrictEqual(rb.tokens.tokens, ra.tokens.tokens, "the same ids");
      const diff = Math.max(
        ...Array.from(
          ra.images.data as Float32Array,
          (v, i) => Math.abs(v - (rb.images.data as Float32Array)[i]),
        ),
      );
      ok(diff < 1e-5, `reconstructions differ by ${diff}`);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
