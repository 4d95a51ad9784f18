import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { UsageError } from "../errors.ts";
import { PHOTOS } from "./_dataset_fixture.ts";
import { decodeRgb } from "./decode_fast.ts";
import { decodeImage } from "./image.ts";

Deno.test("decode_fast: the same pixels as decodeImage for every kind of input", async () => {
  const chelsea = sharp(join(PHOTOS, "chelsea.png"));
  const inputs: Record<string, Uint8Array> = {
    rocket: await Deno.readFile(join(PHOTOS, "rocket.jpg")),
    q100_444: await chelsea.clone().jpeg({ quality: 100, chromaSubsampling: "4:4:4" }).toBuffer(),
    progressive: await chelsea.clone().jpeg({ progressive: true }).toBuffer(),
    p3_icc: await chelsea.clone().withIccProfile("p3").jpeg().toBuffer(),
    exif_rotated: await chelsea.clone().jpeg().withMetadata({ orientation: 6 }).toBuffer(),
    cmyk: await chelsea.clone().toColourspace("cmyk").jpeg().toBuffer(),
    gray: await chelsea.clone().greyscale().jpeg().toBuffer(),
    png: await Deno.readFile(join(PHOTOS, "coffee.png")),
  };
  for (const [name, bytes] of Object.entries(inputs)) {
    assert.deepEqual(await decodeRgb(bytes, name), await decodeImage(bytes, { name }), name);
  }
  assert.deepEqual(
    await decodeRgb(join(PHOTOS, "rocket.jpg")),
    await decodeImage(join(PHOTOS, "rocket.jpg")),
  );
});

Deno.test("decode_fast: bad bytes are UsageErrors naming the sample", async () => {
  const rocket = await Deno.readFile(join(PHOTOS, "rocket.jpg"));
  await assert.rejects(
    decodeRgb(rocket.subarray(0, 5000), "s.tar:0007"),
    (e) => e instanceof UsageError && /^s\.tar:0007: truncated JPEG/.test(e.message),
  );
  await assert.rejects(decodeRgb(new Uint8Array(0), "x"), /x: empty file/);
  await assert.rejects(decodeRgb("/nonexistent.jpg"), /cannot read image/);
});
