import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import sharp from "sharp";
import { UsageError } from "../errors.ts";
import { decodeImage, type RgbImage } from "./image.ts";
import { findPython, runPython } from "./_testutil.ts";

const PHOTOS = new URL("../../tests/testdata/photos/", import.meta.url).pathname;
const REF = JSON.parse(readFileSync(join(PHOTOS, "pil_reference/reference.json"), "utf8"));
const pil = findPython(["numpy", "PIL"]);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** PIL's `Image.open(f).convert("RGB")` bytes of a file. */
function pilRgb(path: string): Uint8Array {
  return runPython(
    pil!,
    "import sys; from PIL import Image; " +
      "sys.stdout.buffer.write(Image.open(sys.argv[1]).convert('RGB').tobytes())",
    [path],
  );
}

/** Writes the odd-format inputs the tests need into a fresh folder. */
async function craft(dir: string): Promise<Record<string, string>> {
  const src = sharp(join(PHOTOS, "chelsea.png"));
  const f = (n: string) => join(dir, n);
  const jpeg = await src.clone().jpeg({ quality: 90 }).toBuffer();
  const png = await src.clone().png().toBuffer();
  writeFileSync(f("truncated.jpg"), jpeg.subarray(0, jpeg.length >> 1));
  writeFileSync(f("truncated.png"), png.subarray(0, png.length >> 1));
  writeFileSync(f("empty.jpg"), new Uint8Array(0));
  writeFileSync(f("text.jpg"), "this is not a JPEG, just text with a .jpg name\n");
  await src.clone().gif().toFile(f("anim.gif"));
  await src.clone().jpeg({ quality: 95 }).toFile(f("plain.jpg"));
  await src.clone().toColourspace("cmyk").jpeg({ quality: 95 }).toFile(f("cmyk.jpg"));
  await src.clone().toColourspace("rgb16").png().toFile(f("rgb16.png"));
  await src.clone().toColourspace("rgb16").ensureAlpha(0.5).png().toFile(f("rgba16.png"));
  await sharp(await src.clone().greyscale().png().toBuffer()).toColourspace("grey16").png().toFile(
    f("gray16.png"),
  );
  await src.clone().greyscale().png().toFile(f("gray.png"));
  await src.clone().greyscale().jpeg().toFile(f("gray.jpg"));
  await src.clone().greyscale().ensureAlpha(0.25).png().toFile(f("la.png"));
  await src.clone().ensureAlpha(0.5).png().toFile(f("rgba.png"));
  await src.clone().png({ palette: true, colours: 64 }).toFile(f("palette.png"));
  await src.clone().webp({ quality: 90 }).toFile(f("lossy.webp"));
  await src.clone().ensureAlpha(0.3).webp({ lossless: true }).toFile(f("rgba.webp"));
  await src.clone().jpeg().withMetadata({ orientation: 6 }).toFile(f("exif6.jpg"));
  await src.clone().withIccProfile("p3").jpeg().toFile(f("p3.jpg"));
  return Object.fromEntries(
    [
      "truncated.jpg",
      "truncated.png",
      "empty.jpg",
      "text.jpg",
      "anim.gif",
      "plain.jpg",
      "cmyk.jpg",
      "rgb16.png",
      "rgba16.png",
      "gray16.png",
      "gray.png",
      "gray.jpg",
      "la.png",
      "rgba.png",
      "palette.png",
      "lossy.webp",
      "rgba.webp",
      "exif6.jpg",
      "p3.jpg",
    ].map((n) => [n, f(n)]),
  );
}

/** A PNG made of a signature and an IHDR chunk only (no pixel data). */
function headerOnlyPng(width: number, height: number): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const chunk = (type: string, body: Uint8Array) => {
    const out = new Uint8Array(12 + body.length);
    const v = new DataView(out.buffer);
    v.setUint32(0, body.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(body, 8);
    let c = 0xffffffff;
    for (const b of out.subarray(4, 8 + body.length)) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    v.setUint32(8 + body.length, (c ^ 0xffffffff) >>> 0);
    return out;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const idat = chunk("IDAT", deflateSync(new Uint8Array(8)));
  return new Uint8Array([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...chunk("IHDR", ihdr),
    ...idat,
    ...chunk("IEND", new Uint8Array(0)),
  ]);
}

const px = (img: RgbImage, x: number, y: number) =>
  Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

Deno.test("image: committed photos decode exactly as PIL convert('RGB') (reference digests)", async () => {
  for (const [key, ref] of Object.entries<{ width: number; height: number; decoded: string }>(REF.photos)) {
    if (key.includes(":")) continue;
    const img = await decodeImage(join(PHOTOS, key));
    assert.equal(img.width, ref.width, key);
    assert.equal(img.height, ref.height, key);
    assert.equal(img.data.length, img.width * img.height * 3);
    assert.equal(sha(img.data), ref.decoded, `${key}: decoded pixels differ from PIL ${REF.pillow}`);
  }
});

Deno.test("image: odd formats convert as PIL does, and bad inputs are UsageErrors naming the file", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "image-"));
  try {
    const f = await craft(dir);
    const plain = await decodeImage(join(PHOTOS, "chelsea.png"));
    await t.step("gray, gray+alpha, RGBA, palette, 16-bit, WebP, CMYK, EXIF orientation", async () => {
      for (const n of ["gray.png", "gray.jpg", "la.png"]) {
        const g = await decodeImage(f[n]);
        for (let i = 0; i < g.data.length; i += 3) {
          assert.ok(g.data[i] === g.data[i + 1] && g.data[i] === g.data[i + 2]);
        }
      }
      assert.deepEqual(await decodeImage(f["rgba.png"]), plain); // alpha dropped, not composited
      assert.deepEqual(await decodeImage(f["rgba.webp"]), plain); // lossless WebP with alpha
      assert.deepEqual(await decodeImage(f["rgb16.png"]), plain); // v * 257 >> 8 == v
      assert.deepEqual(await decodeImage(f["rgba16.png"]), plain);
      // PIL opens 16-bit gray as mode "I" whose RGB conversion clamps: v8 * 257 saturates unless v8 == 0.
      const g16 = await decodeImage(f["gray16.png"]);
      const g8 = await decodeImage(f["gray.png"]);
      assert.deepEqual(g16.data, g8.data.map((v) => (v > 0 ? 255 : 0)));
      assert.equal((await sharp(f["exif6.jpg"]).metadata()).orientation, 6);
      const exif = await decodeImage(f["exif6.jpg"]); // orientation 6 would swap the sides if applied
      assert.deepEqual([exif.width, exif.height], [plain.width, plain.height]);
      const cmyk = await decodeImage(f["cmyk.jpg"]);
      assert.deepEqual([cmyk.width, cmyk.height, cmyk.data.length], [
        plain.width,
        plain.height,
        plain.data.length,
      ]);
      const fromBytes = await decodeImage(readFileSync(f["lossy.webp"]), { name: "lossy.webp" });
      assert.deepEqual(fromBytes.data.length, plain.data.length);
      assert.deepEqual(px(await decodeImage(f["palette.png"]), 0, 0).length, 3);
    });
    await t.step("errors", async () => {
      const cases: [string, RegExp][] = [
        ["truncated.jpg", /corrupt or truncated jpeg/],
        ["truncated.png", /corrupt or truncated png/],
        ["empty.jpg", /empty file/],
        ["text.jpg", /not a readable/],
        ["anim.gif", /gif images are not supported/],
        ["missing.png", /cannot read image/],
      ];
      for (const [n, why] of cases) {
        const path = join(dir, n);
        await assert.rejects(decodeImage(path), (e: Error) => {
          assert.ok(e instanceof UsageError, `${n}: ${e}`);
          assert.ok(e.message.startsWith(path), e.message);
          assert.match(e.message, why);
          return true;
        });
      }
      await assert.rejects(
        decodeImage(new Uint8Array([1, 2, 3]), { name: "blob#7" }),
        /^UsageError: blob#7:/,
      );
    });
    await t.step("absurd sizes are refused from the header, before decoding", async () => {
      for (const [w, h] of [[16385, 1], [1, 100000], [1 << 20, 1 << 20]]) {
        const path = join(dir, `huge-${w}x${h}.png`);
        writeFileSync(path, headerOnlyPng(w, h));
        await assert.rejects(
          decodeImage(path),
          (e: Error) =>
            e instanceof UsageError && e.message.startsWith(path) &&
            /exceeds the imageSide budget of 16384/.test(e.message),
        );
      }
      // Pillow's decompression-bomb guard: 179 M pixels refused from the header, raised by an option or
      // TOK1D_MAX_IMAGE_PIXELS; 89 M warn.
      const bomb = join(dir, "bomb-14000x14000.png");
      writeFileSync(bomb, headerOnlyPng(14000, 14000));
      await assert.rejects(
        decodeImage(bomb),
        (e: Error) =>
          e instanceof UsageError && /196000000 pixels .*imagePixels budget of 178956970/.test(e.message),
      );
      await assert.rejects(
        decodeImage(bomb, { maxPixels: 2e8, warn: () => {} }),
        (e: Error) => e instanceof UsageError && /corrupt or truncated png/.test(e.message), // past the budget: decoded
      );
      const warned: string[] = [];
      await assert.rejects(
        decodeImage(join(dir, "bomb-14000x14000.png"), { maxPixels: 2e8, warn: (m) => warned.push(m) }),
      );
      assert.match(warned[0], /bomb-14000x14000\.png: a large image \(14000×14000/);
      const ok = await decodeImage(
        await sharp({ create: { width: 16384, height: 2, channels: 3, background: "#123456" } })
          .png().toBuffer(),
      );
      assert.deepEqual([ok.width, ok.height, ...px(ok, 16383, 1)], [16384, 2, 0x12, 0x34, 0x56]);
    });
    await t.step({
      name: "bit-exact against Debian PIL on every crafted variant (skipped without python3+PIL)",
      ignore: !pil,
      fn: async () => {
        for (
          const n of [
            "plain.jpg",
            "cmyk.jpg",
            "rgb16.png",
            "rgba16.png",
            "gray16.png",
            "gray.png",
            "gray.jpg",
            "la.png",
            "rgba.png",
            "palette.png",
            "lossy.webp",
            "rgba.webp",
            "exif6.jpg",
            "p3.jpg",
          ]
        ) {
          const mine = await decodeImage(f[n]);
          const ref = pilRgb(f[n]);
          let diff = 0;
          for (let i = 0; i < ref.length; i++) diff += mine.data[i] !== ref[i] ? 1 : 0;
          assert.equal(ref.length, mine.data.length, n);
          assert.equal(diff, 0, `${n}: ${diff} bytes differ from PIL`);
        }
      },
    });
  } finally {
    rmSync(dir, { recursive: true });
  }
});
