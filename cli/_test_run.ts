/**
 * Test helper for the eval/fid command tests: runs the CLI in-process and
 * captures its exit code, stdout and stderr.
 * @module
 */
import { join } from "node:path";
import { main } from "../cli.ts";
import { scratchDir } from "../core/data/_testutil.ts";
import { loadImages } from "../core/data/batch.ts";
import { writePng } from "../core/data/png.ts";
import { toUint8Image } from "../core/data/batch.ts";
import { PERCEPTUAL_FILES, randomPerceptualWeights } from "../core/losses/perceptual_weights.ts";
import type { Tensor } from "../core/tensor.ts";
import { writeSafetensors } from "../core/weights/safetensors.ts";

/** Runs `tok1d <args>`. */
export async function run(args: string[]): Promise<{ code: number; err: string; out: string }> {
  const err: string[] = [], out: string[] = [];
  const e = console.error, l = console.log, w = process.stderr.write;
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, err: err.join("\n"), out: out.join("\n") };
  } finally {
    console.error = e;
    console.log = l;
    process.stderr.write = w;
  }
}

/** A fresh temporary folder, removed when the process ends (CLI runs write up to ~100 MB a folder). */
export const tmp = (): string => scratchDir("tok1d-cli-");

const PHOTOS = new URL("../tests/testdata/photos/", import.meta.url).pathname;

/** Writes the sample photos (shorter side → size, centre crop) as PNGs into `dir`; returns the paths. */
export async function photoFolder(
  dir: string,
  size: number,
  names = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"],
) {
  const x = await loadImages(names.map((n) => PHOTOS + n), size);
  const paths: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const img = toUint8Image(x, i);
    paths.push(join(dir, `${String(i).padStart(3, "0")}.png`));
    await writePng(paths[i], img.data, img.width, img.height);
  }
  return paths;
}

/**
 * Seeded LPIPS weights written as the two files a user brings (torchvision VGG16 keys, LPIPS head keys);
 * returns the `--perceptual-weights` value naming them.
 */
export function lpipsFiles(dir: string, seed = 3): string {
  const vgg = new Map<string, Tensor>(), heads = new Map<string, Tensor>();
  for (const [k, t] of randomPerceptualWeights("lpips", seed)) {
    if (k.startsWith(PERCEPTUAL_FILES.vgg.prefix)) vgg.set(k.slice(PERCEPTUAL_FILES.vgg.prefix.length), t);
    else heads.set(k.slice(PERCEPTUAL_FILES.lpips.prefix.length), t);
  }
  writeSafetensors(join(dir, "vgg16.safetensors"), vgg);
  writeSafetensors(join(dir, "lpips_heads.safetensors"), heads);
  return `vgg=${join(dir, "vgg16.safetensors")},lpips=${join(dir, "lpips_heads.safetensors")}`;
}
