/**
 * Where upstream publishes ALIT's checkpoints: the Dropbox links of the
 * "Pretrained Checkpoints" table in the README of
 * ShivamDuggal4/adaptive-length-tokenizer (`{model, ema, …}` .pth files; the
 * continuous-latent ones need `quantize_latent: false` in a config of their own).
 * @module
 */
import type { CheckpointSource, UpstreamCheckpoints } from "../../core/plugin.ts";

const dropbox = (
  preset: string,
  file: string,
  id: string,
  rlkey: string,
  label: string,
): CheckpointSource => ({
  where: `https://www.dropbox.com/scl/fi/${id}/${file}?rlkey=${rlkey}&dl=0`,
  files: [file],
  use: `--model alit/${preset} --weights ${file}`,
  label,
});

export const alitCheckpoints: UpstreamCheckpoints = {
  note: "upstream's table: https://github.com/ShivamDuggal4/adaptive-length-tokenizer#pretrained-checkpoints",
  presets: {
    small: [
      dropbox(
        "small",
        "alit_vqgan_small_quantized_latent.pth",
        "u8jyro5wysttp5mvs6gir",
        "1py1s9755gjhdyw5ifd9h2wff",
        "ImageNet-1k",
      ),
      dropbox(
        "small",
        "alit_small_quantized_latents.pth",
        "iszluhiop09z3afo2gw5f",
        "klt0zgeunb60l1snuzhjdzdq2",
        "ImageNet100",
      ),
    ],
    base: [dropbox(
      "base",
      "alit_base_vqgan_quantized_latents.pth",
      "6cygifz37knpqtkxgfj81",
      "r8hn0d4d8j8eg2wjorzl9c67s",
      "ImageNet100",
    )],
    semilarge: [dropbox(
      "semilarge",
      "alit_semilarge_vqgan_quantized_latents.pth",
      "wcp7s6w86slh1yy4m3egc",
      "cf2s13c6ah3ru4ly9tb911gi7",
      "ImageNet100",
    )],
    small_vae: [dropbox(
      "small_vae",
      "alit_small_vae_quantized_latents.pth",
      "svykasoyyoapfzlghjuz2",
      "dtvyj74zq593zc7c63miwkhs3",
      "ImageNet100",
    )],
  },
};
