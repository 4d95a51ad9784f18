import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { PHOTOS } from "./_dataset_fixture.ts";
import { type ConvertInput, convertToShards } from "./convert.ts";
import { loadImages } from "./batch.ts";
import { type BatchOptions, type ImageBatch, openImageSource } from "./reader.ts";
import { packTar } from "./tar.ts";

// 4 classes × 5 images (symlinks to the photos), and the same converted to 5 shards of 4.
const dir = mkdtempSync(join(tmpdir(), "tok1d-reader-"));
const PHOTO = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"];
const tree = join(dir, "tree");
const inputs: ConvertInput[] = [];
for (let c = 0; c < 4; c++) {
  mkdirSync(join(tree, `c${c}`), { recursive: true });
  for (let i = 0; i < 5; i++) {
    const photo = PHOTO[(c + i) % 4];
    const rel = `c${c}/i${i}.${photo.split(".")[1]}`;
    symlinkSync(join(PHOTOS, photo), join(tree, rel));
    inputs.push({ rel, path: join(tree, rel), cls: c, className: `c${c}` });
  }
}
const shards = join(dir, "shards");
await convertToShards({
  out: shards,
  prefix: "t",
  shardSize: 4,
  mode: { kind: "copy" },
  inputs,
  source: { kind: "test" },
  classNames: ["c0", "c1", "c2", "c3"],
  command: [],
});

async function collect(
  spec: string,
  batch: number,
  o: BatchOptions,
  shard?: string,
  warn?: (m: string) => void,
) {
  const src = await openImageSource(spec, { shard, warn });
  const out: ImageBatch[] = [];
  for await (const b of src.batches(batch, o)) out.push(b);
  return { src, out, keys: out.flatMap((b) => b.keys), labels: out.flatMap((b) => [...(b.labels ?? [])]) };
}

Deno.test("reader: an ImageNet tree and its shards give the same images, labels and order (evaluation transform)", async () => {
  const a = await collect(tree, 6, { size: 32 });
  const b = await collect(join(shards, "t-{000000..000004}.tar"), 6, { size: 32 });
  const c = await collect(shards, 6, { size: 32 });
  assert.deepEqual([a.src.kind, a.src.count, b.src.kind, b.src.count, c.src.count], [
    "tree",
    20,
    "shards",
    20,
    20,
  ]);
  assert.deepEqual(a.src.classes, ["c0", "c1", "c2", "c3"]);
  assert.deepEqual(a.out.map((x) => x.images.shape), [[6, 3, 32, 32], [6, 3, 32, 32], [6, 3, 32, 32], [
    2,
    3,
    32,
    32,
  ]]);
  assert.deepEqual(a.labels, inputs.map((x) => x.cls));
  assert.deepEqual(b.labels, a.labels);
  assert.deepEqual(b.keys, inputs.map((_, i) => String(i).padStart(8, "0")));
  assert.deepEqual(a.keys.slice(0, 2), ["c0/i0", "c0/i1"]);
  for (let i = 0; i < 4; i++) assert.deepEqual(b.out[i].images, a.out[i].images);
  assert.deepEqual(c.out, b.out);
  // The evaluation transform is loadImages' (Pillow-exact resize + centre crop).
  const first = await loadImages(inputs.slice(0, 6).map((x) => x.path!), 32);
  assert.deepEqual(a.out[0].images, first);
});

Deno.test("reader: a seed fixes the order, crops and flips, whatever the number of workers; epochs differ", async () => {
  const o: BatchOptions = { size: 32, crop: "random", flip: true, seed: 5, shuffleBuffer: 6 };
  const one = await collect(shards, 4, { ...o, workers: 0 });
  const two = await collect(shards, 4, { ...o, workers: 2 });
  assert.deepEqual(two.out, one.out);
  assert.deepEqual([...one.keys].sort(), inputs.map((_, i) => String(i).padStart(8, "0")));
  assert.notDeepEqual(one.keys, [...one.keys].sort());
  const epoch1 = await collect(shards, 4, { ...o, epoch: 1 });
  assert.notDeepEqual(epoch1.keys, one.keys);
  const folder = await collect(tree, 4, { ...o, workers: 1 });
  assert.deepEqual(folder.out, (await collect(tree, 4, o)).out);
  assert.equal(new Set(folder.keys).size, 20);
  const dropped = await collect(tree, 6, { size: 16, dropLast: true });
  assert.deepEqual(dropped.out.map((x) => x.keys.length), [6, 6, 6]);
});

Deno.test("reader: --shard K/N splits shards (or samples when shards are few) into disjoint parts", async () => {
  const parts: Awaited<ReturnType<typeof collect>>[] = [];
  for (let k = 0; k < 3; k++) parts.push(await collect(shards, 8, { size: 8 }, `${k}/3`));
  assert.deepEqual(parts.map((p) => p.src.count), [4, 8, 8]); // shards [0], [1,2], [3,4]
  assert.deepEqual(parts.flatMap((p) => p.keys), inputs.map((_, i) => String(i).padStart(8, "0")));
  const fine: Awaited<ReturnType<typeof collect>>[] = [];
  for (let k = 0; k < 8; k++) fine.push(await collect(shards, 8, { size: 8 }, `${k}/8`));
  assert.deepEqual(fine.map((p) => p.keys.length), [3, 3, 3, 3, 2, 2, 2, 2]);
  assert.deepEqual(fine.map((p) => p.src.count), [3, 3, 3, 3, 2, 2, 2, 2]);
  assert.deepEqual(fine.flatMap((p) => p.keys).sort(), parts.flatMap((p) => p.keys));
  const folders: Awaited<ReturnType<typeof collect>>[] = [];
  for (let k = 0; k < 3; k++) folders.push(await collect(tree, 8, { size: 8 }, `${k}/3`));
  assert.deepEqual(folders.map((p) => p.keys.length), [6, 7, 7]);
});

Deno.test("reader: bad samples and traversal member names are skipped with warnings, or fail with onError", async () => {
  const enc = new TextEncoder();
  const evil = join(dir, "evil.tar");
  writeFileSync(
    evil,
    packTar([{ name: "0.jpg", data: enc.encode("text, not a JPEG") }, {
      name: "1.cls",
      data: enc.encode("3"),
    }]),
  );
  // Splice a "../x.jpg" member in by patching a valid header's name and checksum.
  const patched = packTar([{ name: "xx/x.jpg", data: enc.encode("z") }]);
  patched.set(enc.encode("../x.jpg"), 0);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : patched[i];
  patched.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  writeFileSync(join(dir, "trav.tar"), patched);
  const warnings: string[] = [];
  const r = await collect(join(dir, "{evil,trav}.tar"), 2, { size: 8 }, undefined, (m) => warnings.push(m));
  assert.deepEqual(r.keys, []);
  assert.equal(warnings.length, 3, warnings.join("\n"));
  // Reading runs ahead of decoding, so the three come in no fixed order.
  for (
    const rx of [
      /evil\.tar:0: not an image/,
      /sample '1' has no jpg/,
      /member '\.\.\/x\.jpg' skipped: unsafe/,
    ]
  ) {
    assert.ok(warnings.some((w) => rx.test(w)), `${rx} in ${warnings.join("\n")}`);
  }
  const src = await openImageSource(evil, { onError: "throw" });
  await assert.rejects(async () => {
    for await (const _ of src.batches(2, { size: 8 })) { /* drain */ }
  }, UsageError);
  await assert.rejects(
    () => openImageSource(join(dir, "nothing")),
    /nothing: not a folder, a \.tar file or a brace pattern/,
  );
  await assert.rejects(
    () => openImageSource(join(shards, "t-{000000..000009}.tar")),
    /shard .*t-000005\.tar does not exist/,
  );
  await assert.rejects(() => openImageSource(shards, { shard: "3/3" }), /--shard 3\/3/);
});

Deno.test({ name: "reader: cleanup", fn: () => rmSync(dir, { recursive: true }) });
