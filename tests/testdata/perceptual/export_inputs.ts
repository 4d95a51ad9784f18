/**
 * Step 1 of regenerating the perceptual-loss fixtures (see README.md): writes
 * the seeded fixture weights (as the three upstream files' safetensors) and
 * the seeded input images (.npy) to the folder given as the first argument.
 */
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { writeNpy } from "../../../core/data/npy.ts";
import { fileWeights, fixtureInputs } from "../../../core/losses/_perceptual_fixture.ts";
import { writeSafetensors } from "../../../core/weights/safetensors.ts";

const dir = Deno.args[0] ?? "/tmp/tok1d-perceptual";
mkdirSync(dir, { recursive: true });
for (const kind of ["vgg", "lpips", "convnext"] as const) {
  writeSafetensors(join(dir, `${kind}.safetensors`), fileWeights(kind));
}
for (const [name, t] of Object.entries(fixtureInputs())) writeNpy(join(dir, `${name}.npy`), t);
console.log(`wrote weights and inputs to ${dir}`);
