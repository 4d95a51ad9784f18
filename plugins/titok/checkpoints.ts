/**
 * Where upstream publishes TiTok's tokenizers (README_TiTok.md of
 * bytedance/1d-tokenizer; file names from its configs/infer/TiTok/*.yaml):
 * an HF repo per model (`PyTorchModelHubMixin` folder: config.json +
 * model.safetensors), and for L-32/B-64/S-128 also raw `.bin` state dicts in
 * the HF repo fun-research/TiTok.
 * @module
 */
import type { CheckpointSource, UpstreamCheckpoints } from "../../core/plugin.ts";

const hf = (preset: string, repo: string): CheckpointSource => ({
  where: `yucornetto/${repo}`,
  files: ["config.json", "model.safetensors"],
  use: `--model <folder> (the titok/${preset} model)`,
});
const bin = (preset: string, file: string): CheckpointSource => ({
  where: "fun-research/TiTok",
  files: [file],
  use: `--model titok/${preset} --weights ${file}`,
});

export const titokCheckpoints: UpstreamCheckpoints = {
  presets: {
    l32: [hf("l32", "tokenizer_titok_l32_imagenet"), bin("l32", "tokenizer_titok_l32.bin")],
    b64: [hf("b64", "tokenizer_titok_b64_imagenet"), bin("b64", "tokenizer_titok_b64.bin")],
    s128: [hf("s128", "tokenizer_titok_s128_imagenet"), bin("s128", "tokenizer_titok_s128.bin")],
    bl64_vq8k: [hf("bl64_vq8k", "tokenizer_titok_bl64_vq8k_imagenet")],
    bl128_vq8k: [hf("bl128_vq8k", "tokenizer_titok_bl128_vq8k_imagenet")],
    sl256_vq8k: [hf("sl256_vq8k", "tokenizer_titok_sl256_vq8k_imagenet")],
    ll32_vae_c16: [hf("ll32_vae_c16", "tokenizer_titok_ll32_vae_c16_imagenet")],
    bl64_vae_c16: [hf("bl64_vae_c16", "tokenizer_titok_bl64_vae_c16_imagenet")],
    bl128_vae_c16: [hf("bl128_vae_c16", "tokenizer_titok_bl128_vae_c16_imagenet")],
  },
};
