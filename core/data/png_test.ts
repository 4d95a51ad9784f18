import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { tensor } from "../tensor.ts";
import { loadImages } from "./batch.ts";
import { decodeImage, type RgbImage } from "./image.ts";
import { encodePng, gridRows, LABEL_STRIP, makeGrid, upscaleNearest, writePng } from "./png.ts";

const PHOTOS = new URL("../../tests/testdata/photos/", import.meta.url).pathname;
const px = (img: RgbImage, x: number, y: number) =>
  Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

/** A batch of b solid-colour images; image i has value (i + 1) / 10 in every channel. */
function solid(b: number, h: number, w: number, offset = 0) {
  const data = new Float32Array(b * 3 * h * w);
  for (let i = 0; i < b; i++) data.fill((i + 1 + offset) / 10, i * 3 * h * w, (i + 1) * 3 * h * w);
  return tensor("float32", [b, 3, h, w], data);
}

Deno.test("png: writePng writes atomically and decodes back to the same pixels", async () => {
  const dir = mkdtempSync(join(tmpdir(), "png-"));
  try {
    const img = await decodeImage(join(PHOTOS, "rocket.jpg"));
    const path = join(dir, "sub", "rocket.png");
    await writePng(path, img.data, img.width, img.height);
    assert.deepEqual(readdirSync(join(dir, "sub")), ["rocket.png"]); // no temporary file left
    assert.deepEqual(await decodeImage(path), img);
    const bytes = await encodePng(new Uint8Array([255, 0, 0]), 1, 1);
    assert.deepEqual(Array.from(bytes.subarray(1, 4)), [0x50, 0x4e, 0x47]);
    await assert.rejects(writePng(join(dir, "x.png"), new Uint8Array(5), 1, 2), UsageError);
    await assert.rejects(writePng(join(dir, "x.png"), new Uint8Array(0), 0, 0), UsageError);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

Deno.test("png: makeGrid lays cells out like torchvision make_grid", () => {
  const g = makeGrid(solid(5, 4, 3), { columns: 2, pad: 1, padValue: 1 });
  assert.deepEqual([g.width, g.height], [2 * (3 + 1) + 1, 3 * (4 + 1) + 1]);
  assert.deepEqual(px(g, 0, 0), [255, 255, 255]); // padding
  assert.deepEqual(px(g, 1, 1), [26, 26, 26]); // image 0: round(0.1 * 255) = 26 (25.5 → 26, float32 product)
  assert.deepEqual(px(g, 5, 1), [51, 51, 51]); // image 1
  assert.deepEqual(px(g, 1, 11), [128, 128, 128]); // image 4, third line
  assert.deepEqual(px(g, 5, 11), [255, 255, 255]); // empty cell keeps the pad colour
  const d = makeGrid(solid(3, 2, 2));
  assert.deepEqual([d.width, d.height], [3 * 4 + 2, 6]); // default pad 2, columns min(8, B)
  assert.deepEqual(px(d, 0, 0), [0, 0, 0]);
  assert.throws(() => makeGrid(tensor("float32", [3, 2, 2], new Float32Array(12))), UsageError);
});

Deno.test("png: gridRows puts each reconstruction under its original", async () => {
  const originals = solid(4, 2, 2);
  const recons = solid(4, 2, 2, 4);
  const g = gridRows([originals, recons], { columns: 2, pad: 0 });
  assert.deepEqual([g.width, g.height], [4, 8]);
  const at = (col: number, line: number) => px(g, col * 2, line * 2)[0];
  const v = (k: number) => { // round half to even, as toUint8Image
    const p = Math.fround(Math.fround(k / 10) * 255);
    return p % 1 === 0.5 ? 2 * Math.round(p / 2) : Math.round(p);
  };
  assert.equal(v(3), 76); // 0.3f * 255 = 76.5 exactly in float32 → 76
  assert.deepEqual([at(0, 0), at(1, 0), at(0, 1), at(1, 1)], [v(1), v(2), v(5), v(6)]);
  assert.deepEqual([at(0, 2), at(1, 2), at(0, 3), at(1, 3)], [v(3), v(4), v(7), v(8)]);
  const one = gridRows([originals, recons]);
  assert.deepEqual([one.width, one.height], [4 * 4 + 2, 2 * 4 + 2]);
  assert.throws(() => gridRows([originals, solid(3, 2, 2)]), UsageError);
  assert.throws(() => gridRows([]), UsageError);
  // Real photos: a 2×3 grid of 32-pixel crops.
  const photos = await loadImages(
    ["chelsea.png", "coffee.png", "astronaut.png"].map((f) => join(PHOTOS, f)),
    32,
  );
  const real = gridRows([photos, photos]);
  assert.deepEqual([real.width, real.height], [3 * 34 + 2, 2 * 34 + 2]);
  assert.deepEqual(px(real, 2, 2), px(real, 2, 36));
});

Deno.test("png: scale enlarges cells by pixel repetition; labels add a captioned strip under each cell", () => {
  const originals = solid(2, 2, 3), recons = solid(2, 2, 3, 4);
  const big = makeGrid(originals, { scale: 4, pad: 1 });
  assert.deepEqual([big.width, big.height], [2 * (12 + 1) + 1, 8 + 2]);
  // Every pixel of cell 0's 4×4 blocks repeats its source pixel (solid colour 0.1 → 26).
  for (const [x, y] of [[1, 1], [4, 4], [12, 8]]) assert.deepEqual(px(big, x, y), [26, 26, 26]);
  const g = gridRows([originals, recons], { scale: 4, pad: 0, labels: [["A.PNG", "B"], undefined] });
  assert.deepEqual([g.width, g.height], [2 * 12, 2 * (8 + LABEL_STRIP)]);
  // The strip is black with white glyph pixels where a label is drawn; an unlabelled row's strip is black.
  const strip = (x0: number, y0: number) => {
    let white = 0;
    for (let y = y0; y < y0 + LABEL_STRIP; y++) {
      for (let x = x0; x < x0 + 12; x++) if (px(g, x, y)[0] === 255) white++;
    }
    return white;
  };
  assert.ok(strip(0, 8) > 0 && strip(12, 8) > 0);
  assert.equal(strip(0, 8 + LABEL_STRIP + 8), 0);
  assert.throws(() => gridRows([originals], { labels: [["a"], ["b"]] }), UsageError);
  assert.throws(() => makeGrid(originals, { scale: 1.5 }), UsageError);
});

Deno.test("png: upscaleNearest repeats each pixel k×k", () => {
  const img = { width: 2, height: 1, data: Uint8Array.of(1, 2, 3, 4, 5, 6) };
  const up = upscaleNearest(img, 2);
  assert.deepEqual([up.width, up.height], [4, 2]);
  assert.deepEqual(Array.from(up.data), [
    1,
    2,
    3,
    1,
    2,
    3,
    4,
    5,
    6,
    4,
    5,
    6,
    1,
    2,
    3,
    1,
    2,
    3,
    4,
    5,
    6,
    4,
    5,
    6,
  ]);
});
