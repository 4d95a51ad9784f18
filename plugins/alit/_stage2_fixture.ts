/**
 * Inputs of the stage-2 parity fixture (tests/testdata/alit_stage2/): the
 * iteration, the seeded LPIPS networks (random VGG16 and heads) and the
 * seeded discriminator of that iteration, all under graph names. The test
 * and the reference script both build them from here; the ALIT weights and
 * the image batch are those of tests/testdata/alit (model.safetensors, the
 * stage-1 reference's image).
 * @module
 */
import { Graph } from "../../core/graph/graph.ts";
import { Buffers } from "../../core/nn/batch_norm.ts";
import { randomPerceptualWeights } from "../../core/losses/perceptual_weights.ts";
import type { Tensor } from "../../core/tensor.ts";
import { ALIT_DISCRIMINATORS } from "./train_stage2.ts";

/** The rollout iteration the fixture trains. */
export const STAGE2_ITERATION = 3;
/** The scheduled adversarial weight the generator step uses (upstream's epochs 21–100). */
export const STAGE2_GAN_WEIGHT = 0.2;

/** LPIPS (`perceptual.lpips.*`) and discriminator k's weights and initial buffers (`gan_losses.k.discriminator.*`). */
export function stage2FixtureWeights(batch: number, side: number): Map<string, Tensor> {
  const out = randomPerceptualWeights("lpips", 77);
  const g = new Graph("stage2_fixture_d");
  const buffers = new Buffers(g);
  ALIT_DISCRIMINATORS.logits(g, g.input("x", "float32", [batch, 3, side, side]), STAGE2_ITERATION, buffers);
  const stateInputs = g.inputs.filter((v) => v.name !== "x");
  for (const [k, t] of ALIT_DISCRIMINATORS.init([...g.params.values()], stateInputs, 5)) out.set(k, t);
  return out;
}
