import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { tensor } from "../tensor.ts";
import { imageToTensor, loadImages, toUint8Image } from "./batch.ts";
import { decodeImage } from "./image.ts";
import { readNpy, writeNpy } from "./npy.ts";
import { resizeCenterCrop } from "./resize.ts";
import { findPython, runPython } from "./_testutil.ts";

const PHOTOS = new URL("../../tests/testdata/photos/", import.meta.url).pathname;
const FILES = ["chelsea.png", "rocket.jpg", "astronaut.png", "heldout/bliznaca.png"].map((f) =>
  join(PHOTOS, f)
);
const py = findPython(["numpy"]);

Deno.test("batch: loadImages gives [B,3,size,size] float32 x/255 in input order", async () => {
  const batch = await loadImages(FILES, 64);
  assert.equal(batch.dtype, "float32");
  assert.deepEqual(batch.shape, [4, 3, 64, 64]);
  for (const [i, f] of FILES.entries()) {
    const one = imageToTensor(resizeCenterCrop(await decodeImage(f), 64));
    assert.deepEqual(batch.data.subarray(i * 3 * 64 * 64, (i + 1) * 3 * 64 * 64), one.data, f);
    // The committed Pillow crop, as float: x / 255 in float32, CHW.
    if (f.endsWith("chelsea.png")) {
      const ref = readNpy(join(PHOTOS, "pil_reference/chelsea_bicubic64.npy")).data as Uint8Array;
      assert.equal(one.data[64 * 64 + 5], Math.fround(ref[5 * 3 + 1] / 255)); // G of pixel (0, 5)
    }
  }
  assert.deepEqual((await loadImages([], 32)).shape, [0, 3, 32, 32]);
});

Deno.test("batch: a bad file in the list is a UsageError naming it, whatever its position", async () => {
  const dir = mkdtempSync(join(tmpdir(), "batch-"));
  try {
    const bad = join(dir, "bad.jpg");
    writeFileSync(bad, "nope");
    for (const list of [[bad, ...FILES], [...FILES, bad]]) {
      await assert.rejects(
        loadImages(list, 32),
        (e: Error) => e instanceof UsageError && e.message.startsWith(bad),
      );
    }
    await assert.rejects(loadImages(FILES, 0), UsageError);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

Deno.test("batch: toUint8Image clamps and rounds half to even on the float32 product", () => {
  // Exact halves after the float32 multiply (found by search) must go to the even neighbour.
  const halves: number[] = [];
  for (let k = 0; k < 255 && halves.length < 40; k++) {
    const x = Math.fround((k + 0.5) / 255);
    if (Math.fround(x * 255) === k + 0.5) halves.push(x);
  }
  assert.ok(halves.length > 10);
  const extra = [-1, 0, 1e-9, 0.5 / 255, 0.999, 1, 7, NaN, -0];
  const vals = [...halves, ...extra];
  const w = vals.length;
  const t = tensor("float32", [3, 1, w], new Float32Array([...vals, ...vals, ...vals]));
  const img = toUint8Image(t);
  assert.deepEqual([img.width, img.height], [w, 1]);
  for (const [i, x] of halves.entries()) {
    const k = Math.fround(x * 255) - 0.5;
    assert.equal(img.data[3 * i], k % 2 === 0 ? k : k + 1, `x=${x}`);
  }
  assert.deepEqual(Array.from(extra, (_, j) => img.data[3 * (halves.length + j) + 2]), [
    0,
    0,
    0,
    0,
    255,
    255,
    255,
    0,
    0,
  ]);
  // uint8 → float → uint8 is the identity.
  const all = Uint8Array.from({ length: 256 * 3 }, (_, i) => i % 256);
  const back = toUint8Image(imageToTensor({ data: all, width: 256, height: 1 }));
  assert.deepEqual(back.data, all);
  // Batch indexing and errors.
  const b = tensor("float64", [2, 3, 1, 1], new Float64Array([0, 0, 0, 1, 1, 0.5]));
  assert.deepEqual(Array.from(toUint8Image(b, 1).data), [255, 255, 128]);
  assert.throws(() => toUint8Image(b, 2), UsageError);
  assert.throws(() => toUint8Image(tensor("float32", [4, 1, 1], new Float32Array(4))), UsageError);
  assert.throws(() => toUint8Image(tensor("uint8", [3, 1, 1], new Uint8Array(3))), UsageError);
});

Deno.test({
  name: "batch: toUint8Image equals numpy's round(clip(x, 0, 1) * 255) in float32 (skipped without numpy)",
  ignore: !py,
  fn() {
    const dir = mkdtempSync(join(tmpdir(), "batch-"));
    try {
      const n = 3 * 200 * 200;
      const x = new Float32Array(n);
      let s = 7;
      for (let i = 0; i < n; i++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        x[i] = i % 5 === 0 ? Math.fround((Math.floor(s / 2 ** 24) + 0.5) / 255) : (s / 2 ** 32) * 1.2 - 0.1;
      }
      writeNpy(join(dir, "x.npy"), tensor("float32", [3, 200, 200], x));
      const ref = runPython(
        py!,
        `import sys, numpy as np
x = np.load(sys.argv[1] + "/x.npy")
y = np.round(np.clip(x, 0, 1) * np.float32(255)).astype(np.uint8).transpose(1, 2, 0)
sys.stdout.buffer.write(np.ascontiguousarray(y).tobytes())`,
        [dir],
      );
      assert.deepEqual(toUint8Image(tensor("float32", [3, 200, 200], x)).data, new Uint8Array(ref));
    } finally {
      rmSync(dir, { recursive: true });
    }
  },
});
