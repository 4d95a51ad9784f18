import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { PHOTOS } from "./_dataset_fixture.ts";
import { decodeImage } from "./image.ts";
import { prepareImage } from "./prepare.ts";

const chelsea = sharp(join(PHOTOS, "chelsea.png"));

Deno.test("prepare: copy keeps the bytes and names the format found in them", async () => {
  const png = join(PHOTOS, "coffee.png");
  const r = await prepareImage(png, { kind: "copy" });
  assert.ok(r.ok);
  assert.deepEqual([r.ext, r.width, r.height], ["png", 450, 300]);
  assert.deepEqual(r.data, new Uint8Array(readFileSync(png)));
  assert.equal(r.data.constructor, Uint8Array);
  const missing = await prepareImage(join(PHOTOS, "nope.jpg"), { kind: "copy" });
  assert.deepEqual(missing, { ok: false, reason: "unreadable: no such file (broken symlink?)" });
});

Deno.test("prepare: --verify decode catches damage inside the data that the header check cannot see", async () => {
  const jpeg = new Uint8Array(await chelsea.clone().jpeg().toBuffer());
  let dht = 2; // first Huffman table segment
  while (jpeg[dht + 1] !== 0xc4) dht += 2 + ((jpeg[dht + 2] << 8) | jpeg[dht + 3]);
  const damaged = jpeg.slice();
  damaged.fill(0xff, dht + 5, dht + 21); // bogus code counts; markers, sizes and EOI intact
  assert.ok((await prepareImage(damaged, { kind: "copy" })).ok);
  const r = await prepareImage(damaged, { kind: "copy", verify: "decode" });
  assert.equal(r.ok, false);
  assert.match((r as { reason: string }).reason, /cannot decode jpeg/);
});

Deno.test("prepare: resize gives size×size RGB JPEGs; odd inputs go through PIL-style RGB first", async () => {
  const inputs = {
    plain: await chelsea.clone().jpeg({ quality: 95 }).toBuffer(),
    cmyk: await chelsea.clone().toColourspace("cmyk").jpeg({ quality: 95 }).toBuffer(),
    gray16: await chelsea.clone().greyscale().toColourspace("grey16").png().toBuffer(),
    gray: await chelsea.clone().greyscale().jpeg().toBuffer(),
    alpha: await chelsea.clone().ensureAlpha(0.2).png().toBuffer(),
    webp: await chelsea.clone().webp({ lossless: true }).toBuffer(),
  };
  const reference = await decodeImage(await chelsea.clone().png().toBuffer());
  for (const [name, bytes] of Object.entries(inputs)) {
    const r = await prepareImage(new Uint8Array(bytes), { kind: "resize", size: 96, quality: 95 });
    assert.ok(r.ok, name);
    assert.equal(r.ext, "jpg");
    const m = await sharp(r.data).metadata();
    assert.deepEqual([m.format, m.width, m.height, m.channels], ["jpeg", 96, 96, 3], name);
    if (name === "plain" || name === "alpha" || name === "webp") {
      // Same picture: mean absolute difference to a libvips resize of the PIL-decoded original is small.
      const got = await decodeImage(r.data);
      const want = await sharp(reference.data, {
        raw: { width: reference.width, height: reference.height, channels: 3 },
      })
        .resize(96, 96, { fit: "cover" }).raw().toBuffer();
      let diff = 0;
      for (let i = 0; i < want.length; i++) diff += Math.abs(got.data[i] - want[i]);
      assert.ok(diff / want.length < 5, `${name}: mean abs diff ${diff / want.length}`);
    }
  }
});
