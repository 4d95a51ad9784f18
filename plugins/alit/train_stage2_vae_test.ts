/**
 * ALIT stage 2 over the KL VAE against upstream's `adaptive_vae.py` in train mode
 * (tests/testdata/alit_vae/README.md, `stage2_gan_reference.safetensors`): at iteration 3 with the
 * adversarial weight 0.2 and the recorded posterior noise, the generator step's loss and each term
 * (L1, LPIPS on [0, 1] images, −mean D₃(x̂), the adaptive weight at the VAE decoder's
 * `conv_out.weight`, VQ), x̂ = vae.decode(decoded latent), the gradients of ALIT's and the VAE's
 * parameters (encoder, `quant_conv` through the posterior sample, decoder) and D₃'s statistics; the
 * discriminator step on that x̂. The same checks as the VQGAN base's (_stage2_parity.ts).
 */
import { readSafetensors } from "../../core/weights/safetensors.ts";
import { checkDiscriminatorStep, checkGeneratorStep } from "./_stage2_parity.ts";
import { alit, loadAlit } from "./mod.ts";

const DIR = new URL("../../tests/testdata/alit_vae/", import.meta.url).pathname;
const REF = readSafetensors(`${DIR}stage2_gan_reference.safetensors`);
const image = () => REF.tensors.get("image")!;

Deno.test("alit vae stage 2: the generator step (L1, LPIPS, adaptive-weighted GAN term, VQ) matches upstream at iteration 3", async () => {
  const c = alit.schema.parse(alit.presets["test_vae"]);
  const model = loadAlit(readSafetensors(`${DIR}model.safetensors`).tensors, c);
  // Measured (2 threads): terms ≤ 1.5e-6 (the adaptive weight), x̂ 3.4e-6, gradients 2.2e-7 – 2.8e-5.
  await checkGeneratorStep(c, model, { image: image(), noise: REF.tensors.get("noise")! }, REF, {
    terms: 1e-5,
    gan_weight: 1e-4,
    reconstruction: 2e-5,
    grads: 2e-4,
  });
});

Deno.test("alit vae stage 2: the discriminator step on x̂ over the VAE matches upstream", async () => {
  await checkDiscriminatorStep(image(), REF);
});
