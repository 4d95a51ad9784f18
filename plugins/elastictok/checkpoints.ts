/**
 * Where upstream publishes ElasticTok's weights (README of
 * LargeWorldModel/ElasticTok): one HF repo per bottleneck, holding a single
 * `params` file (tux streaming msgpack, bf16) for images and video alike.
 * @module
 */
import type { CheckpointSource, UpstreamCheckpoints } from "../../core/plugin.ts";

const hf = (preset: string, repo: string): CheckpointSource => ({
  where: `LargeWorldModel/${repo}`,
  files: ["params"],
  use: `--model elastictok/${preset} --weights <folder>/params`,
});

export const elastictokCheckpoints: UpstreamCheckpoints = {
  presets: {
    vae: [hf("vae", "ElasticTok-VAE")],
    vae_video: [hf("vae_video", "ElasticTok-VAE")],
    fsq: [hf("fsq", "ElasticTok-FSQ")],
    fsq_video: [hf("fsq_video", "ElasticTok-FSQ")],
  },
};
