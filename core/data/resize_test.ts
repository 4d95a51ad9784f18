import assert, { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { tensor } from "../tensor.ts";
import { decodeImage, type RgbImage } from "./image.ts";
import { readNpy, writeNpy } from "./npy.ts";
import { centerCrop, type Filter, resize, resizeCenterCrop, shorterSideSize } from "./resize.ts";
import { findPython, runPython } from "./_testutil.ts";

const PHOTOS = new URL("../../tests/testdata/photos/", import.meta.url).pathname;
const REF = JSON.parse(readFileSync(join(PHOTOS, "pil_reference/reference.json"), "utf8"));
const pil = findPython(["numpy", "PIL"]);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

interface EvalRef {
  resized: [number, number];
  resized_sha: string;
  crop_sha: string;
}

function transpose(img: RgbImage): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      out.set(
        img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3),
        (x * img.height + y) * 3,
      );
    }
  }
  return { data: out, width: img.height, height: img.width };
}

/** Deterministic noise (with hard black/white blocks, to exercise clipping). */
function noise(width: number, height: number, seed: number): RgbImage {
  let s = seed >>> 0;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const block = ((i / 3 / width) >> 3) % 3;
    data[i] = block === 0 ? s >>> 24 : block === 1 ? (s >>> 31) * 255 : (i * 7) & 255;
  }
  return { data, width, height };
}

Deno.test("resize: torchvision size arithmetic and centre-crop rounding", () => {
  assert.deepEqual(shorterSideSize(500, 375, 256), [341, 256]);
  assert.deepEqual(shorterSideSize(375, 500, 256), [256, 341]);
  assert.deepEqual(shorterSideSize(451, 300, 256), [384, 256]);
  assert.deepEqual(shorterSideSize(300, 300, 224), [224, 224]);
  assert.deepEqual(shorterSideSize(3, 1000, 256), [256, 85333]);
  // Python's round() is half to even: (301-256)/2 = 22.5 → 22, (303-256)/2 = 23.5 → 24.
  const col = (w: number) => ({
    data: Uint8Array.from({ length: w * 3 }, (_, i) => Math.floor(i / 3)),
    width: w,
    height: 1,
  });
  assert.equal(centerCrop(col(301), 256, 1).data[0], 22);
  assert.equal(centerCrop(col(303), 256, 1).data[0], 24);
  assert.equal(centerCrop(col(258), 256, 1).data[0], 1);
  // Smaller than the crop: padded with black like torchvision ([1, 1, 2, 1] for 5 → 2 wide, 3 → 1 high).
  const small = { data: new Uint8Array(2 * 1 * 3).fill(9), width: 2, height: 1 };
  const padded = centerCrop(small, 5, 3);
  assert.deepEqual([padded.width, padded.height], [5, 3]);
  assert.deepEqual(Array.from(padded.data.subarray(15, 30)), [0, 0, 0, 9, 9, 9, 9, 9, 9, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => resize(small, 0, 3), UsageError);
  assert.throws(() => resize(small, 2, 3, "lanczos" as Filter), UsageError);
  assert.throws(() => resizeCenterCrop(small, 2.5), UsageError);
});

Deno.test("resize: an image already size×size passes through untouched", () => {
  const img = noise(64, 64, 1);
  assert.equal(resize(img, 64, 64), img);
  const out = resizeCenterCrop(img, 64);
  assert.equal(out, img);
});

Deno.test("resize: resizeCenterCrop computes only the crop yet equals centerCrop(resize(...))", () => {
  for (const [w, h] of [[256, 300], [300, 256], [97, 61], [5, 400], [120, 3], [255, 257], [512, 512]]) {
    const img = noise(w, h, w * h);
    for (const size of [1, 7, 64, 256, 301]) {
      for (const filter of ["bicubic", "bilinear"] as Filter[]) {
        const [rw, rh] = shorterSideSize(w, h, size);
        const want = centerCrop(resize(img, rw, rh, filter), size);
        assert.deepEqual(resizeCenterCrop(img, size, filter), want, `${w}×${h} → ${size} ${filter}`);
      }
    }
  }
});

Deno.test("resize: bit-exact with the committed Pillow references (6 photos × portrait × 8 sizes × 2 filters)", async () => {
  let checked = 0;
  for (
    const [key, ref] of Object.entries<{ eval: Record<string, EvalRef>; free: Record<string, string> }>(
      REF.photos,
    )
  ) {
    const [file, variant] = key.split(":");
    let img = await decodeImage(join(PHOTOS, file));
    if (variant === "transposed") img = transpose(img);
    for (const [k, r] of Object.entries(ref.eval)) {
      const [filter, size] = [k.split("/")[0] as Filter, Number(k.split("/")[1])];
      const [w, h] = shorterSideSize(img.width, img.height, size);
      assert.deepEqual([w, h], r.resized, `${key} ${k}: resized size`);
      const resized = resize(img, w, h, filter);
      assert.equal(sha(resized.data), r.resized_sha, `${key} ${k}: resized pixels differ from Pillow`);
      assert.equal(sha(resizeCenterCrop(img, size, filter).data), r.crop_sha, `${key} ${k}: crop differs`);
      checked++;
    }
    for (const [k, digest] of Object.entries(ref.free)) {
      const [filter, wh] = k.split("/");
      const [w, h] = wh.split("x").map(Number);
      assert.equal(sha(resize(img, w, h, filter as Filter).data), digest, `${key} ${k}: differs from Pillow`);
      checked++;
    }
  }
  assert.ok(checked >= 12 * 28, `only ${checked} cases`);
});

Deno.test("resize: ElasticTok's rounding (floor) is bit-exact with Pillow bilinear + upstream's arithmetic", async () => {
  // One short of size is raised (upstream's fix); the crop offset floors where torchvision rounds half to even.
  deepStrictEqual(shorterSideSize(300, 451, 256, "floor"), [256, 384]);
  deepStrictEqual(shorterSideSize(257, 256, 255, "floor"), [255, 255]);
  const col = (w: number) => ({
    data: Uint8Array.from({ length: w * 3 }, (_, i) => Math.floor(i / 3)),
    width: w,
    height: 1,
  });
  strictEqual(centerCrop(col(303), 256, 1).data[0], 24); // torchvision: round(23.5) = 24; floor would be 23
  let checked = 0;
  for (const [key, ref] of Object.entries<{ floor: Record<string, EvalRef> }>(REF.photos)) {
    const [file, variant] = key.split(":");
    let img = await decodeImage(join(PHOTOS, file));
    if (variant === "transposed") img = transpose(img);
    for (const [k, r] of Object.entries(ref.floor)) {
      const size = Number(k.split("/")[1]);
      deepStrictEqual(shorterSideSize(img.width, img.height, size, "floor"), r.resized, `${key} ${k}: size`);
      const mine = resizeCenterCrop(img, size, "bilinear", "floor");
      strictEqual(sha(mine.data), r.crop_sha, `${key} ${k}: differs from Pillow + upstream's crop`);
      checked++;
    }
  }
  strictEqual(checked, 12 * 8);
  throws(() => resizeCenterCrop(col(3), 2, "bilinear", "ceil" as "floor"), UsageError);
});

Deno.test("resize: committed 64×64 Pillow crops match pixel for pixel", async () => {
  for (
    const f of [
      "astronaut.png",
      "chelsea.png",
      "coffee.png",
      "rocket.jpg",
      "heldout/keong_macan.png",
      "heldout/bliznaca.png",
    ]
  ) {
    const ref = readNpy(
      join(PHOTOS, "pil_reference", f.replace("heldout/", "heldout_").replace(/\.\w+$/, "_bicubic64.npy")),
    );
    assert.deepEqual(ref.shape, [64, 64, 3]);
    const mine = resizeCenterCrop(await decodeImage(join(PHOTOS, f)), 64);
    assert.deepEqual(mine.data, ref.data, f);
  }
});

Deno.test({
  name:
    "resize: bit-exact with live Pillow on noise, odd sizes and extreme ratios (skipped without python3+PIL)",
  ignore: !pil,
  fn() {
    const dir = mkdtempSync(join(tmpdir(), "resize-"));
    try {
      const sources = [
        noise(97, 61, 1),
        noise(300, 7, 2),
        noise(5, 400, 3),
        noise(1, 1, 4),
        noise(256, 256, 5),
      ];
      const targets = [[1, 1], [2, 3], [13, 200], [512, 9], [61, 97], [300, 301], [96, 60], [33, 33], [
        1000,
        3,
      ]];
      sources.forEach((s, i) =>
        writeNpy(join(dir, `s${i}.npy`), tensor("uint8", [s.height, s.width, 3], s.data))
      );
      const spec = targets.map(([w, h]) => `${w}x${h}`).join(",");
      const out = runPython(
        pil!,
        `import sys, numpy as np
from PIL import Image
d, n, spec = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i in range(n):
    im = Image.fromarray(np.load(f"{d}/s{i}.npy"))
    for f in (Image.BICUBIC, Image.BILINEAR):
        for wh in spec.split(","):
            sys.stdout.buffer.write(im.resize(tuple(map(int, wh.split("x"))), f).tobytes())`,
        [dir, String(sources.length), spec],
      );
      let at = 0;
      for (const [i, s] of sources.entries()) {
        for (const filter of ["bicubic", "bilinear"] as Filter[]) {
          for (const [w, h] of targets) {
            const mine = resize(s, w, h, filter).data;
            const ref = out.subarray(at, at + w * h * 3);
            at += w * h * 3;
            assert.ok(
              sha(mine) === sha(ref),
              `source ${i} (${s.width}×${s.height}) → ${w}×${h} ${filter} differs`,
            );
          }
        }
      }
      assert.equal(at, out.length);
    } finally {
      rmSync(dir, { recursive: true });
    }
  },
});
