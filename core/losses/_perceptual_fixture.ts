/**
 * What the perceptual-loss tests and the fixture generator share: the seeded
 * random weights (all three networks) and the seeded images the reference
 * outputs in tests/testdata/perceptual/ were computed from, and the split of
 * the weights into the three upstream files' key spaces.
 * @module
 */
import { deepStrictEqual } from "node:assert";
import { readFileSync } from "node:fs";
import { readNpy } from "../data/npy.ts";
import type { Graph } from "../graph/graph.ts";
import { Rng } from "../init.ts";
import { Session } from "../runtime/mod.ts";
import type { Tensor } from "../tensor.ts";
import { PERCEPTUAL_FILES, type PerceptualFileKind, randomPerceptualWeights } from "./perceptual_weights.ts";

/** Where the committed reference outputs live. */
export const FIXTURE_DIR = new URL("../../tests/testdata/perceptual/", import.meta.url).pathname;
/** The seed of every fixture weight. */
export const WEIGHT_SEED = 2024;
/** The spec whose parameters cover all three networks. */
export const FULL_SPEC = "lpips-convnext_s-1.0-0.1";

let cached: Map<string, Tensor> | undefined;

/** Seeded weights of all three networks under their graph names (built once per process). */
export function fixtureWeights(): Map<string, Tensor> {
  return cached ??= randomPerceptualWeights(FULL_SPEC, WEIGHT_SEED);
}

/** The fixture weights of one file, under that file's own keys (torchvision / LPIPS naming). */
export function fileWeights(kind: PerceptualFileKind): Map<string, Tensor> {
  const { prefix } = PERCEPTUAL_FILES[kind];
  const out = new Map<string, Tensor>();
  for (const [name, t] of fixtureWeights()) {
    const other = (Object.keys(PERCEPTUAL_FILES) as PerceptualFileKind[]).some((k) =>
      k !== kind && name.startsWith(PERCEPTUAL_FILES[k].prefix) &&
      PERCEPTUAL_FILES[k].prefix.length > prefix.length
    );
    if (name.startsWith(prefix) && !other) out.set(name.slice(prefix.length), t);
  }
  return out;
}

/** Uniform [0, 1) image batch from `seed`. */
export function fixtureImage(shape: number[], seed: number): Tensor<"float32"> {
  const rng = new Rng(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  return { dtype: "float32", shape: [...shape], data };
}

/** A (real, fake) pair: fake = 0.7·real + 0.3·noise, so the two are correlated as a reconstruction is. */
export function fixturePair(shape: number[], seed: number): [Tensor<"float32">, Tensor<"float32">] {
  const real = fixtureImage(shape, seed);
  const noise = fixtureImage(shape, seed + 1);
  const fake = real.data.map((v, i) => 0.7 * v + 0.3 * noise.data[i]);
  return [real, { dtype: "float32", shape: [...shape], data: fake }];
}

/** The inputs of every reference output, by name (the generator writes them as .npy for Python). */
export function fixtureInputs(): Record<string, Tensor<"float32">> {
  const [lpipsReal, lpipsFake] = fixturePair([2, 3, 32, 32], 11);
  const [real, fake] = fixturePair([2, 3, 64, 64], 21);
  return {
    vgg_image: fixtureImage([2, 3, 16, 16], 1),
    convnext_image: fixtureImage([2, 3, 64, 64], 2),
    resize_256x64: fixtureImage([1, 1, 256, 64], 3),
    resize_40x300: fixtureImage([1, 1, 40, 300], 4),
    lpips_real: lpipsReal,
    lpips_fake: lpipsFake,
    combined_real: real,
    combined_fake: fake,
  };
}

/** A committed reference output. */
export function reference(name: string): Tensor<"float32"> {
  return readNpy(`${FIXTURE_DIR}${name}.npy`) as Tensor<"float32">;
}

/** torchvision's state-dict keys and shapes (`<model>_keys.txt`, one `key\t[shape]` a line). */
export function torchvisionKeys(model: "vgg16" | "convnext_small"): Map<string, number[]> {
  const lines = readFileSync(`${FIXTURE_DIR}${model}_keys.txt`, "utf8").trim().split("\n");
  return new Map(lines.map((l) => l.split("\t")).map(([k, s]) => [k, JSON.parse(s)]));
}

/** max |a − b| after checking the shapes agree. */
export function maxAbsDiff(got: Tensor, want: Tensor): number {
  deepStrictEqual(got.shape, want.shape);
  let d = 0;
  for (let i = 0; i < want.data.length; i++) {
    d = Math.max(d, Math.abs(Number(got.data[i]) - Number(want.data[i])));
  }
  return d;
}

/** ‖a − b‖₂ / ‖b‖₂. */
export function relativeL2(got: Tensor, want: Tensor): number {
  deepStrictEqual(got.shape, want.shape);
  let num = 0, den = 0;
  for (let i = 0; i < want.data.length; i++) {
    const w = Number(want.data[i]);
    num += (Number(got.data[i]) - w) ** 2;
    den += w * w;
  }
  return Math.sqrt(num / den);
}

/** Runs `g` once on CPU with the fixture weights its parameters need. */
export async function runWithFixtureWeights(
  g: Graph,
  feeds: Record<string, Tensor>,
  weights: Map<string, Tensor> = fixtureWeights(),
): Promise<Record<string, Tensor>> {
  const own = new Map([...g.params.keys()].map((k) => [k, weights.get(k)!]));
  const s = await Session.create(g, own, { threads: 1 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}
