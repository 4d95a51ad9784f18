/**
 * Test helper for MARVEL's stage-1 gradient parity (tests/testdata/marvel_train):
 * the parity config, the deterministic weights of every stage-1 parameter
 * (teacher included) and, run as a script, their export to /tmp for the
 * independent PyTorch implementation (`torch_stage1.py` in that folder).
 *
 * @example
 * ```sh
 * deno run -A plugins/marvel/_train_fixture.ts /tmp/marvel_train   # weights.safetensors, config.json
 * ```
 * @module
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseConfig, readConfigFile } from "../../core/config.ts";
import type { ParamSpec } from "../../core/graph/graph.ts";
import { Graph } from "../../core/graph/graph.ts";
import { randomWeights, Rng } from "../../core/init.ts";
import type { Tensor } from "../../core/tensor.ts";
import { writeSafetensors } from "../../core/weights/safetensors.ts";
import { type MarvelConfig, marvelSchema } from "./config.ts";
import { dims } from "./model.ts";
import { marvelLoss } from "./train.ts";

/** The fixture folder. */
export const PARITY_DIR = new URL("../../tests/testdata/marvel_train/", import.meta.url).pathname;
/** The input batch (2,3,32,32) shared with the MARVEL forward fixtures. */
export const PARITY_INPUT = new URL("../../tests/testdata/marvel/input.npy", import.meta.url).pathname;
/** Seeds of the weights and of the norm/bias perturbation. */
const SEED = 11;
const PERTURB_SEED = 12;

/** The parity config (tiny_f16 with a softer, heavier entropy term; see the fixture README). */
export function parityConfig(): MarvelConfig {
  const path = join(PARITY_DIR, "config.yaml");
  return parseConfig(marvelSchema, readConfigFile(path), path);
}

/** Parameter specs of the stage-1 loss graph of `cfg` at `batch`. */
export function stage1Params(cfg: MarvelConfig, batch: number): ParamSpec[] {
  const g = new Graph("specs");
  marvelLoss(cfg, { stage: "stage1", batch })(g);
  return [...g.params.values()];
}

/**
 * Fan-in-scaled random weights (so the encoder output depends on the image),
 * with norm weights 1 + 0.1·N(0,1) and every bias 0.05·N(0,1), so no term of
 * the gradient is trivially zero or one.
 */
export function parityWeights(specs: ParamSpec[]): Map<string, Tensor> {
  const w = randomWeights(specs, SEED, "fanin");
  const rng = new Rng(PERTURB_SEED);
  for (const name of [...w.keys()].sort()) {
    const data = w.get(name)!.data as Float32Array;
    const isNormWeight = /(^|\.)(ln_\w+|norm\w*)\.weight$/.test(name);
    if (isNormWeight) data.forEach((v, i) => (data[i] = v + 0.1 * rng.normal()));
    else if (/(\.bias|_bias)$/.test(name)) data.forEach((_, i) => (data[i] = 0.05 * rng.normal()));
  }
  return w;
}

if (import.meta.main) {
  const out = Deno.args[0] ?? "/tmp/marvel_train";
  mkdirSync(out, { recursive: true });
  const cfg = parityConfig();
  const weights = parityWeights(stage1Params(cfg, 2));
  writeSafetensors(join(out, "weights.safetensors"), weights, { format: "pt" });
  const m = cfg.model.vq_model;
  const d = dims(cfg);
  const arch = {
    image: d.image,
    enc: { ...d.enc, patch: m.vit_enc_patch_size },
    dec: { ...d.dec, patch: m.vit_dec_patch_size },
    k: d.k,
    c: d.c,
    depth: d.depth,
    commitment: m.commitment_cost,
    entropy_weight: m.entropy_loss_weight,
    temperature: m.entropy_loss_temperature,
    gamma: m.entropy_gamma,
  };
  Deno.writeTextFileSync(join(out, "config.json"), JSON.stringify(arch, null, 2));
  console.log(`wrote ${weights.size} tensors to ${out}`);
}
