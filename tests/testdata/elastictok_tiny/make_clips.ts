/**
 * Makes the clips the tiny ElasticTok (config.yaml) trains and is evaluated on:
 * camera moves (pans, zooms, still shots; core/data/pan_zoom.ts) over CC0 and
 * public-domain photos, written as 24 fps H.264 .mp4 files of 32×32 frames.
 * Training photos and held-out photos never overlap (README.md lists them).
 *
 *   deno run -A tests/testdata/elastictok_tiny/make_clips.ts /work/et-clips
 *
 * writes <out>/train/*.mp4 and <out>/heldout/*.mp4. Deterministic (seeded).
 */
import { mkdirSync } from "node:fs";
import { basename, extname, join } from "node:path";
import process from "node:process";
import { decodeImage, type RgbImage } from "../../../core/data/image.ts";
import { type Box, panZoomClip } from "../../../core/data/pan_zoom.ts";
import { writeVideo } from "../../../core/data/video.ts";
import { Rng } from "../../../core/init.ts";

const PHOTOS = new URL("../photos/", import.meta.url).pathname;
const SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data/";
export const TRAIN_PHOTOS = [
  ...["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"].map((f) => PHOTOS + f),
  ...["hubble_deep_field.jpg", "retina.jpg", "camera.png", "brick.png", "grass.png", "gravel.png", "coins.png"]
    .map((f) => SKIMAGE + f),
];
export const HELDOUT_PHOTOS = ["heldout/keong_macan.png", "heldout/bliznaca.png"].map((f) => PHOTOS + f);

/** Moves over `img`: still, pans and zooms with boxes from `rng`. */
export function moves(img: RgbImage, rng: Rng, count: number): [string, Box, Box][] {
  const short = Math.min(img.width, img.height);
  const box = (side: number): Box => ({
    x: Math.floor(rng.next() * (img.width - side + 1)),
    y: Math.floor(rng.next() * (img.height - side + 1)),
    w: side,
    h: side,
  });
  const out: [string, Box, Box][] = [];
  for (let k = 0; k < count; k++) {
    const side = Math.round(short * (0.25 + 0.6 * rng.next()));
    const a = box(side);
    const kind = ["still", "pan", "pan", "zoom"][k % 4];
    if (kind === "still") out.push([kind, a, a]);
    else if (kind === "pan") out.push([kind, a, box(side)]);
    else {
      const s2 = Math.round(short * (0.2 + 0.7 * rng.next()));
      out.push([kind, a, { x: a.x + (a.w - s2) / 2, y: a.y + (a.h - s2) / 2, w: s2, h: s2 }]);
    }
  }
  return out;
}

async function main(out: string) {
  for (const [part, photos, count] of [["train", TRAIN_PHOTOS, 24], ["heldout", HELDOUT_PHOTOS, 8]] as const) {
    mkdirSync(join(out, part), { recursive: true });
    for (const [p, photo] of photos.entries()) {
      const img = await decodeImage(photo);
      const rng = new Rng(1000 + p + (part === "train" ? 0 : 500));
      for (const [k, [kind, a, b]] of moves(img, rng, count).entries()) {
        const name = `${basename(photo, extname(photo))}_${String(k).padStart(2, "0")}_${kind}.mp4`;
        await writeVideo(join(out, part, name), panZoomClip(img, a, b, 24, 32), 24);
      }
    }
  }
  console.log(`wrote ${out}/train and ${out}/heldout`);
}

if (import.meta.main) await main(process.argv[2] ?? Deno.args[0]);
