/**
 * The embedded default model: it loads as `default`, and the held-out PSNR
 * figures in its model card (weights/default/card.json) reproduce.
 */
import { deepStrictEqual, ok } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import { evaluateDefault } from "../weights/default/evaluate.ts";
import { loadTokenizer } from "../core/tokenizer.ts";

const CARD = new URL("../weights/default/card.json", import.meta.url).pathname;
const WEIGHTS = new URL("../weights/default/model.safetensors", import.meta.url).pathname;

Deno.test({
  name: "default model: the card's held-out PSNR figures reproduce",
  ignore: !existsSync(WEIGHTS),
  fn: async () => {
    const card = JSON.parse(readFileSync(CARD, "utf8"));
    const got = await evaluateDefault();
    for (const k of ["model", "mean_colour", "downsample_8x8_upsample"]) {
      ok(
        Math.abs(got[k] - card.heldout_psnr_db[k]) < 0.01,
        `${k}: ${got[k]} dB, card says ${card.heldout_psnr_db[k]}`,
      );
    }
    deepStrictEqual(got.images, card.heldout_psnr_db.images);
  },
});

Deno.test({
  name: "default model: loads as 'default' with real (not random) weights",
  ignore: !existsSync(WEIGHTS),
  fn: async () => {
    const tok = await loadTokenizer("default", { threads: 1 });
    deepStrictEqual(tok.randomWeights, false);
    deepStrictEqual(tok.info.imageSize, 64);
    deepStrictEqual(tok.info.tokenShape, [12, 1, 32]);
    await tok.release();
  },
});
