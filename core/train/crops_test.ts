/**
 * Training crops resize as encode does when the family declares an input
 * transform (`Plugin.inputTransform`; here Pillow bilinear with upstream
 * ElasticTok's floor rounding): from a photo folder, the scale-1 crop at
 * encode's centre-crop offsets, unflipped, is exactly encode's input tensor
 * for that photo, and every batch item is a crop of those resized photos;
 * from shards, every item is a window (or its mirror) of the photo resized as
 * encode resizes it. Without a transform the crops stay bicubic (and differ).
 */
import { deepStrictEqual, notDeepStrictEqual, ok, rejects, throws } from "node:assert";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeImage } from "../data/image.ts";
import { openImageSource } from "../data/reader.ts";
import { resize, shorterSideSize } from "../data/resize.ts";
import { packTar } from "../data/tar.ts";
import type { InputTransform } from "../plugin.ts";
import { UsageError } from "../errors.ts";
import { CropSampler, parseCropScales } from "./crops.ts";
import { openImageBatches } from "./feeds.ts";

const PHOTOS = new URL("../../tests/testdata/photos/", import.meta.url).pathname;
const NAMES = ["chelsea.png", "coffee.png", "rocket.jpg"];
const TRANSFORM: InputTransform = { filter: "bilinear", rounding: "floor" };
const SIZE = 32, PLANE = 3 * SIZE * SIZE;

/** encode's input for each photo: what cli/encode.ts asks of the reader (shorter side, centre crop, transform). */
async function encodeInputs(data: string, transform: InputTransform): Promise<Float32Array[]> {
  const src = await openImageSource(data);
  const out: Float32Array[] = [];
  for await (const b of src.batches(8, { size: SIZE, resize: "shorter", crop: "center", ...transform })) {
    for (let i = 0; i < b.images.shape[0]; i++) out.push(b.images.data.slice(i * PLANE, (i + 1) * PLANE));
  }
  return out;
}

Deno.test("train crops (photo folder): the scale-1 centre crop is encode's input under the family's transform", async () => {
  const dir = mkdtempSync(join(tmpdir(), "crops-"));
  try {
    for (const n of NAMES) copyFileSync(PHOTOS + n, join(dir, n));
    const want = await encodeInputs(dir, TRANSFORM);
    const sampler = await CropSampler.fromFolder(dir, SIZE, 3, undefined, TRANSFORM);
    const bicubic = await CropSampler.fromFolder(dir, SIZE, 3);
    for (let p = 0; p < NAMES.length; p++) {
      const [w, h] = sampler.levelSize(p, 0);
      deepStrictEqual(Math.min(w, h), SIZE);
      const got = new Float32Array(PLANE), other = new Float32Array(PLANE);
      const [x0, y0] = [Math.floor((w - SIZE) / 2), Math.floor((h - SIZE) / 2)]; // floor offsets, as encode's
      sampler.crop(p, 0, x0, y0, false, got);
      deepStrictEqual(got, want[p], NAMES[p]);
      bicubic.crop(p, 0, x0, y0, false, other);
      notDeepStrictEqual(other, want[p], "the default (bicubic) crops differ: the transform matters");
    }
    // A batch's items are crops of those pyramids (scale, offset and flip drawn by seed, step and slot).
    const batch = (await openImageBatches(dir, SIZE, 6, 3, undefined, TRANSFORM)).at(4);
    deepStrictEqual((await batch).data, sampler.batch(4, 6).data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("train crops (shards): each item is a window of the photo resized as encode resizes it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "crops-shards-"));
  try {
    mkdirSync(join(dir, "p"));
    const members = NAMES.map((n, i) => ({
      name: `${i}.${n.split(".")[1]}`,
      data: new Uint8Array(readFileSync(PHOTOS + n)),
    }));
    writeFileSync(join(dir, "p-000000.tar"), packTar(members));
    const resized = await Promise.all(NAMES.map(async (n) => {
      const img = await decodeImage(PHOTOS + n);
      const [w, h] = shorterSideSize(img.width, img.height, SIZE, TRANSFORM.rounding);
      return resize(img, w, h, TRANSFORM.filter);
    }));
    /** The photos and (x, y, flip) windows of the resized photos that equal `item`. */
    const windows = (item: Float32Array) => {
      const found: string[] = [];
      resized.forEach((img, p) => {
        for (let y = 0; y + SIZE <= img.height; y++) {
          for (let x = 0; x + SIZE <= img.width; x++) {
            for (const flip of [false, true]) {
              let same = true;
              for (let r = 0; r < SIZE && same; r++) {
                for (let c = 0; c < SIZE && same; c++) {
                  const s = ((y + r) * img.width + x + (flip ? SIZE - 1 - c : c)) * 3;
                  for (let ch = 0; ch < 3 && same; ch++) {
                    same = item[ch * SIZE * SIZE + r * SIZE + c] === Math.fround(img.data[s + ch] / 255);
                  }
                }
              }
              if (same) found.push(`${p}:${x},${y}${flip ? " flipped" : ""}`);
            }
          }
        }
      });
      return found;
    };
    const batches = await openImageBatches(join(dir, "p-000000.tar"), SIZE, 3, 5, undefined, TRANSFORM);
    try {
      const seen = new Set<string>();
      for (const step of [0, 1]) {
        const x = (await batches.at(step)).data as Float32Array;
        for (let i = 0; i < 3; i++) {
          const w = windows(x.subarray(i * PLANE, (i + 1) * PLANE));
          ok(
            w.length > 0,
            `step ${step} item ${i}: a window of a photo resized bilinear with floor rounding`,
          );
          seen.add(w[0].split(":")[0]);
        }
      }
      deepStrictEqual([...seen].sort(), ["0", "1", "2"], "every photo is met in an epoch");
    } finally {
      await batches.close();
    }
    // Without the transform (bicubic, torchvision's rounding) the items are not such windows.
    const plain = await openImageBatches(join(dir, "p-000000.tar"), SIZE, 3, 5);
    try {
      const x = (await plain.at(0)).data as Float32Array;
      ok([0, 1, 2].every((i) => windows(x.subarray(i * PLANE, (i + 1) * PLANE)).length === 0));
    } finally {
      await plain.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("train crops: --crop-scales sets the pyramid; every item is a window of one of its levels", async () => {
  const dir = mkdtempSync(join(tmpdir(), "crops-scales-"));
  try {
    copyFileSync(PHOTOS + "chelsea.png", join(dir, "chelsea.png")); // 451×300
    const sampler = await CropSampler.fromFolder(dir, SIZE, 3, undefined, {}, [1, 3]);
    deepStrictEqual([sampler.levelSize(0, 0), sampler.levelSize(0, 1)], [[48, 32], [144, 96]]);
    const levels = new Set<number>();
    const batch = sampler.batch(0, 16);
    for (let i = 0; i < 16; i++) {
      const item = batch.data.subarray(i * PLANE, (i + 1) * PLANE);
      // Which level holds this window: search both at every offset, with and without the mirror.
      for (const level of [0, 1]) {
        const [w, h] = sampler.levelSize(0, level);
        const got = new Float32Array(PLANE);
        for (let y = 0; y + SIZE <= h && !levels.has(10 * i + level); y++) {
          for (let x = 0; x + SIZE <= w; x++) {
            for (const flip of [false, true]) {
              sampler.crop(0, level, x, y, flip, got);
              if (got.every((v, k) => v === item[k])) levels.add(10 * i + level);
            }
          }
        }
      }
    }
    const perItem = [...Array(16).keys()].map((i) => [0, 1].filter((l) => levels.has(10 * i + l)));
    ok(perItem.every((l) => l.length === 1), "each item is a window of exactly one level");
    deepStrictEqual(new Set(perItem.map((l) => l[0])), new Set([0, 1]), "both scales are drawn in 16 items");
    throws(
      () => parseCropScales("1,x"),
      (e: Error) => e instanceof UsageError && /'x' is not a number/.test(e.message),
    );
    throws(
      () => parseCropScales("0.5,2"),
      (e: Error) => e instanceof UsageError && /'0.5' is not one/.test(e.message),
    );
    throws(() => parseCropScales("1,9"), (e: Error) => /--crop-scales 1,9: .*from 1 to 8/.test(e.message));
    deepStrictEqual(parseCropScales(" 1, 1.5 ,3"), [1, 1.5, 3]);
    // Shards stream one crop per decoded image: scales there are refused, naming the flag.
    await rejects(
      () => openImageBatches(join(dir, "none-{000000..000001}.tar"), SIZE, 2, 0, undefined, {}, [1, 2]),
      (e: Error) => e instanceof UsageError && /--crop-scales: applies to a folder of photos/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
