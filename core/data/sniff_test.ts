import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { PHOTOS, withJpegSize } from "./_dataset_fixture.ts";
import { type ImageInfo, sniffImage } from "./sniff.ts";

const rocket = new Uint8Array(readFileSync(join(PHOTOS, "rocket.jpg")));
const chelsea = sharp(join(PHOTOS, "chelsea.png"));
const info = (b: Uint8Array) => sniffImage(b) as ImageInfo;
const error = (b: Uint8Array) => (sniffImage(b) as { error: string }).error;

Deno.test("sniff: format, size, channels and depth agree with libvips' metadata", async () => {
  const cases: [string, Uint8Array][] = [
    ["rocket.jpg", rocket],
    ["chelsea.png", new Uint8Array(readFileSync(join(PHOTOS, "chelsea.png")))],
    ["progressive", await chelsea.clone().jpeg({ progressive: true }).toBuffer()],
    ["cmyk", await chelsea.clone().toColourspace("cmyk").jpeg().toBuffer()],
    ["gray16", await chelsea.clone().greyscale().toColourspace("grey16").png().toBuffer()],
    ["rgba", await chelsea.clone().ensureAlpha().png().toBuffer()],
    ["exif thumbnail", await chelsea.clone().withMetadata({ orientation: 3 }).jpeg().toBuffer()],
    ["webp lossy", await chelsea.clone().webp().toBuffer()],
    ["webp lossless", await chelsea.clone().webp({ lossless: true }).toBuffer()],
    ["webp alpha", await chelsea.clone().ensureAlpha(0.5).webp().toBuffer()],
  ];
  for (const [name, bytes] of cases) {
    const m = await sharp(bytes).metadata();
    const i = info(bytes);
    assert.deepEqual([i.format, i.width, i.height], [m.format, m.width, m.height], name);
    if (i.channels !== undefined) assert.equal(i.channels, m.channels, name);
  }
  assert.deepEqual([info(cases[4][1]).depth, info(rocket).depth, info(rocket).ext], [16, 8, "jpg"]);
});

Deno.test("sniff: the bad-input set is caught with a reason", async () => {
  const png = await chelsea.clone().png().toBuffer();
  const webp = await chelsea.clone().webp().toBuffer();
  assert.match(error(new Uint8Array(0)), /empty file/);
  assert.match(error(new TextEncoder().encode("<!DOCTYPE html><html>404</html>")), /starts with text/);
  assert.match(error(new Uint8Array([0, 1, 2, 3, 200, 201])), /unknown signature/);
  assert.match(error(rocket.subarray(0, rocket.length - 100)), /truncated JPEG: no end-of-image/);
  assert.match(error(rocket.subarray(0, 400)), /truncated JPEG/);
  assert.match(error(png.subarray(0, png.length - 20)), /truncated PNG/);
  assert.match(error(webp.subarray(0, webp.length - 10)), /truncated WebP/);
  assert.match(error(withJpegSize(rocket, 60000, 40000)), /absurd dimensions 60000×40000/);
  assert.match(error(withJpegSize(rocket, 0, 300)), /no size/);
  assert.match(error(await chelsea.clone().gif().toBuffer()), /GIF images are not supported/);
  // Trailing bytes after the end marker are tolerated (some cameras append data).
  assert.equal(info(new Uint8Array([...rocket, 0, 0, 0])).width, 450);
});
