/**
 * Step 1 of regenerating the perceptual-loss fixtures (see README.md): writes
 * the seeded fixture weights (as the three upstream files' safetensors) and
 * the seeded input images (.npy) to the folder given as the first argument,
 * then reads every file back and checks it holds exactly what was meant to be
 * written (the torch reference is made from these files, so a bad export
 * would silently become a bad fixture).
 */
import { deepStrictEqual } from "node:assert";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { readNpy, writeNpy } from "../../../core/data/npy.ts";
import { fileWeights, fixtureInputs } from "../../../core/losses/_perceptual_fixture.ts";
import { readSafetensors, writeSafetensors } from "../../../core/weights/safetensors.ts";
import type { Tensor } from "../../../core/tensor.ts";

const plain = (t: Tensor) => ({ dtype: t.dtype, shape: [...t.shape], data: [...t.data as Float32Array] });

const dir = Deno.args[0] ?? "/tmp/tok1d-perceptual";
mkdirSync(dir, { recursive: true });
for (const kind of ["vgg", "lpips", "convnext"] as const) {
  const weights = fileWeights(kind);
  const path = join(dir, `${kind}.safetensors`);
  writeSafetensors(path, weights);
  const back = readSafetensors(path).tensors;
  deepStrictEqual([...back.keys()].sort(), [...weights.keys()].sort(), `${path}: keys`);
  for (const [key, t] of weights) deepStrictEqual(plain(back.get(key)!), plain(t), `${path}: ${key}`);
}
for (const [name, t] of Object.entries(fixtureInputs())) {
  const path = join(dir, `${name}.npy`);
  writeNpy(path, t);
  deepStrictEqual(plain(readNpy(path)), plain(t), path);
}
console.log(`wrote weights and inputs to ${dir}`);
