import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { Rng } from "../init.ts";
import { PHOTOS, python } from "./_dataset_fixture.ts";
import { decodeImage } from "./image.ts";
import { centerCrop, resize, resizeCenterCrop, shorterSideSize } from "./resize.ts";
import { checkTransform, randomResizedBox, transformImage, transformToChw, writeChw } from "./transform.ts";

const chelsea = await decodeImage(join(PHOTOS, "chelsea.png")); // 451×300

Deno.test("transform: centre modes are the evaluation transforms (resize.ts, Pillow-exact)", () => {
  assert.deepEqual(transformImage(chelsea, { size: 64 }, new Rng(1)), resizeCenterCrop(chelsea, 64));
  assert.deepEqual(
    transformImage(chelsea, { size: 256, resize: "none" }, new Rng(1)),
    centerCrop(chelsea, 256),
  );
  const padded = transformImage(chelsea, { size: 320, resize: "none" }, new Rng(1)); // taller than the image: black bars
  assert.deepEqual([padded.width, padded.height, padded.data[0], padded.data[(160 * 320 + 160) * 3]], [
    320,
    320,
    0,
    chelsea.data[(150 * 451 + 225) * 3],
  ]);
});

Deno.test("transform: random crop is a window of the shorter-side resize, reproducible per seed", () => {
  const [w, h] = shorterSideSize(chelsea.width, chelsea.height, 64);
  const full = resize(chelsea, w, h);
  const seen = new Set<string>();
  for (let seed = 0; seed < 20; seed++) {
    const out = transformImage(chelsea, { size: 64, crop: "random" }, new Rng(seed));
    assert.deepEqual(out, transformImage(chelsea, { size: 64, crop: "random" }, new Rng(seed)));
    // Find the window: rows equal the resize's rows at some x offset.
    let found = -1;
    for (let x = 0; x <= w - 64 && found < 0; x++) {
      if (out.data.subarray(0, 64 * 3).every((v, i) => v === full.data[x * 3 + i])) found = x;
    }
    assert.ok(found >= 0, `seed ${seed}: not a window of the resized image`);
    seen.add(String(found));
  }
  assert.ok(seen.size > 5, "offsets vary with the seed");
});

Deno.test("transform: random-resized crop equals PIL's crop(box).resize(bilinear) for the box drawn", () => {
  const rng = new Rng(11);
  const box = randomResizedBox(chelsea.width, chelsea.height, [0.8, 1], [3 / 4, 4 / 3], rng);
  const [x, y, w, h] = box;
  assert.ok(
    w * h >= 0.8 * 451 * 300 * 0.99 && w <= 451 && h <= 300 && x + w <= 451 && y + h <= 300,
    `${box}`,
  );
  const ours = transformImage(chelsea, { size: 48, crop: "random-resized", scale: [0.8, 1] }, new Rng(11));
  const pil = python(
    `import sys, hashlib
from PIL import Image
x, y, w, h = map(int, sys.argv[2:6])
im = Image.open(sys.argv[1]).convert("RGB").crop((x, y, x + w, y + h)).resize((48, 48), Image.BILINEAR)
print(hashlib.sha256(im.tobytes()).hexdigest())`,
    join(PHOTOS, "chelsea.png"),
    ...box.map(String),
  ).trim();
  assert.equal(createHash("sha256").update(ours.data).digest("hex"), pil);
  // Impossible constraints fall back to the central crop at the nearest allowed ratio.
  assert.deepEqual(randomResizedBox(400, 100, [0.99, 1], [1, 1], new Rng(0)), [150, 0, 100, 100]);
});

Deno.test("transform: CHW float32 x/255, flip mirrors columns; crop draws before flip", () => {
  const img = { width: 2, height: 1, data: new Uint8Array([0, 51, 255, 255, 102, 0]) };
  const out = new Float32Array(6);
  writeChw(img, out);
  assert.deepEqual([...out], [0, 1, 0.2, 0.4, 1, 0].map((v) => Math.fround(v)));
  writeChw(img, out, 0, true);
  assert.deepEqual([...out], [1, 0, 0.4, 0.2, 0, 1].map((v) => Math.fround(v)));
  const flips = new Set<number>();
  for (let seed = 0; seed < 16; seed++) {
    const a = transformToChw(chelsea, { size: 32, flip: true }, new Rng(seed));
    flips.add(a[0] === transformToChw(chelsea, { size: 32 }, new Rng(seed))[0] ? 0 : 1);
  }
  assert.deepEqual([...flips].sort(), [0, 1]);
});

Deno.test("transform: bad options are UsageErrors naming the option", () => {
  assert.throws(() => checkTransform({ size: 0 }), (e) => e instanceof UsageError && /size/.test(e.message));
  assert.throws(() => checkTransform({ size: 8, crop: "corner" as "center" }), /crop/);
  assert.throws(() => checkTransform({ size: 8, scale: [0.5, 0.2] }), /scale/);
  assert.throws(() => checkTransform({ size: 8, resize: "longer" as "none" }), /resize/);
});
