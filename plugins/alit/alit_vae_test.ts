/**
 * ALIT over the KL VAE against upstream's own module (tests/testdata/alit_vae:
 * random weights at a reduced size — a 64-px f4 VAE — with the posterior's
 * noise recorded): every iteration's token ids, raw latents and
 * reconstructions, and decoding from ids; the `vae:` config section.
 */
import { deepStrictEqual, ok } from "node:assert";
import type { Tensor } from "../../core/tensor.ts";
import { loadTokenizer } from "../../core/tokenizer.ts";
import { readSafetensors } from "../../core/weights/safetensors.ts";
import { alit } from "./mod.ts";

const DIR = new URL("../../tests/testdata/alit_vae/", import.meta.url).pathname;
const ref = readSafetensors(`${DIR}reference.safetensors`);
const get = (k: string) => ref.tensors.get(k)!;
const ITERS = 8;

function errors(a: Tensor, b: Tensor) {
  deepStrictEqual(a.shape, b.shape);
  let max = 0, sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs((a.data[i] as number) - (b.data[i] as number));
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.data.length };
}

Deno.test("alit vae: every iteration's ids, latents and reconstructions match upstream (recorded noise)", async () => {
  const tok = await loadTokenizer("alit/test_vae", { weights: `${DIR}model.safetensors`, threads: 2 });
  const image = get("image");
  const inputs = { noise: get("noise") };
  for (let k = 1; k <= ITERS; k++) {
    const r = await tok.reconstruct(image, { budget: 32 * k, inputs });
    deepStrictEqual(
      [...r.tokens.tokens.data],
      [...get(`token_ids.${k - 1}`).data],
      `ids of iteration ${k - 1}`,
    );
    const lat = errors(r.tokens.latent!, get(`latent_tokens.${k - 1}`));
    ok(lat.max < 1e-4, `latents ${k - 1}: max ${lat.max}`);
    const rec = errors(r.images, get(`reconstruction.${k - 1}`));
    ok(rec.max < 1e-3 && rec.mean < 5e-5, `reconstruction ${k - 1}: max ${rec.max}, mean ${rec.mean}`);
    const dec = errors(await tok.decode(r.tokens), get(`reconstruction.${k - 1}`));
    ok(dec.max < 1e-3 && dec.mean < 5e-5, `decode ${k - 1}: max ${dec.max}, mean ${dec.mean}`);
  }
  await tok.release();
});

Deno.test("alit vae config: the vae: section defaults to KL-16; a grid or GroupNorm mismatch names its key", () => {
  const tiny = alit.schema.parse(alit.presets["tiny_vae"]);
  deepStrictEqual(tiny.vae, {
    ch: 128,
    ch_mult: [1, 1, 2, 2, 4],
    num_res_blocks: 2,
    attn_resolutions: [16],
    resolution: 256,
    z_channels: 16,
  });
  const test = alit.presets["test_vae"] as { alit: object; vae: object };
  const issues = (vae: object) => {
    const r = alit.schema.safeParse({ ...test, vae: { ...test.vae, ...vae } });
    return r.success ? [] : r.error.issues.map((i) => i.path.join("."));
  };
  deepStrictEqual(issues({}), []);
  deepStrictEqual(issues({ ch_mult: [1, 1] }), ["vae.ch_mult"]);
  deepStrictEqual(issues({ ch: 48 }), ["vae.ch_mult.0", "vae.ch_mult.1", "vae.ch_mult.2"]);
});
