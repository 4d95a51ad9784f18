/**
 * `tok1d demo` (`deno task demo`): the embedded default model reconstructs the
 * held-out photos — packages it never saw in training (weights/default/README.md)
 * — into `out/demo/`: `grid.png` (originals above reconstructions, tiles
 * enlarged to ≥ 128 px, captioned with file name and PSNR), the images and
 * the tokens; it prints the token ids of the first photo, so a newcomer sees
 * what a token sequence is.
 * @module
 */
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readNpy } from "../core/data/npy.ts";
import type { ModelFlags } from "./common.ts";
import { reconstructCommand } from "./encode.ts";

/** The held-out photos (CC0 / CC-BY(-SA), tests/testdata/photos/README.md), never used for training. */
export function heldoutPhotos(): string[] {
  const dir = fileURLToPath(new URL("../tests/testdata/photos/heldout/", import.meta.url));
  return readdirSync(dir).filter((f) => /\.(png|jpe?g|webp)$/i.test(f)).sort().map((f) => join(dir, f));
}

/** The first item's token ids as one line (continuous tokens: the first values of its latent). */
export function firstTokens(npy: string): string {
  const t = readNpy(npy);
  const per = t.data.length / (t.shape[0] as number);
  const values = Array.from((t.data as ArrayLike<number | bigint>) as ArrayLike<number>).slice(0, per);
  return t.dtype === "float32"
    ? `${per} continuous values, first: ${values.slice(0, 8).map((v) => Number(v).toFixed(3)).join(" ")} …`
    : values.map(String).join(" ");
}

/** Runs the demo; returns the reconstruction summary. */
export async function demoCommand(f: Partial<ModelFlags> & { out?: string }) {
  const out = f.out ?? "out/demo";
  const model = f.model ?? "default";
  const photos = heldoutPhotos();
  if (!f.json) {
    console.log(
      `demo: ${model === "default" ? "the embedded default model" : model} reconstructs ${photos.length} ` +
        `held-out photos that it never saw in training (tests/testdata/photos/heldout)`,
    );
  }
  // Every model flag the help lists acts: the demo is `reconstruct` on the held-out photos.
  const r = await reconstructCommand(photos, { ...f, model, device: f.device ?? "cpu", out }, photos.length);
  if (!f.json) {
    console.log(`token ids of ${basename(photos[0])} (one 1D sequence per image):`);
    console.log(firstTokens(join(out, "tokens.npy")));
    console.log(`demo: open ${r.grid}`);
  }
  return r;
}
