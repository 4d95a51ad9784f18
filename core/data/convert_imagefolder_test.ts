import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { UsageError } from "../errors.ts";
import { makeTree, python } from "./_dataset_fixture.ts";
import { convertImageFolder, defaultShardSize, findSplits, loadSubset } from "./convert_imagefolder.ts";
import { readManifest } from "./manifest.ts";
import { readTar } from "./tar_read.ts";
import { groupSamples, sampleClass, sampleImage } from "./webdataset.ts";

const tmp = mkdtempSync(join(tmpdir(), "tok1d-imagefolder-"));
const tree = await makeTree(tmp);
const CLASSES = ["n01443537", "n01558993", "n02085620", "n09999999"];

async function samples(dir: string, names: string[]) {
  const out = [];
  for (const n of names) for await (const s of groupSamples(readTar(join(dir, n)))) out.push(s);
  return out;
}

Deno.test("convert imagefolder: copy mode writes good files, lists bad ones, counts balance", async () => {
  const out = join(tmp, "copy");
  const results = await convertImageFolder({
    root: tree.root,
    out,
    mode: { kind: "copy" },
    command: ["t"],
    shardSize: 3,
  });
  assert.deepEqual(results.map((r) => r.split), ["train", "val"]);
  for (const { split, manifest: m } of results) {
    const good = tree.good[split], bad = tree.bad[split];
    assert.deepEqual(m.counts, {
      input: good.length + Object.keys(bad).length,
      written: good.length,
      skipped: Object.keys(bad).length,
    });
    assert.deepEqual(m.classNames, CLASSES);
    assert.equal(m.shardCount, Math.ceil(m.counts.input / 3));
    assert.deepEqual(
      m.shards.map((s) => s.name),
      m.shards.map((_, i) => `tree-${split}-${String(i).padStart(6, "0")}.tar`),
    );
    for (const s of m.shards) assert.equal(s.samples + s.skipped, s.inputs[1] - s.inputs[0]);
    assert.deepEqual(m.skipped.map((s) => s.path), Object.keys(bad));
    for (const s of m.skipped) assert.match(s.reason, new RegExp(bad[s.path], "i"), s.path);
    assert.equal(readManifest(join(out, split, "manifest.json")).complete, true);

    const got = await samples(join(out, split), m.shards.map((s) => s.name));
    assert.equal(got.length, good.length);
    const keys = got.map((s) => s.key);
    assert.deepEqual(keys, [...keys].sort(), "keys sort in input order");
    for (const [i, s] of got.entries()) {
      const rel = good[i];
      // Original bytes, stored under the sniffed format's extension.
      assert.deepEqual(sampleImage(s), new Uint8Array(readFileSync(join(tree.root, split, rel))), rel);
      const ext = [...s.fields.keys()].find((e) => e !== "cls");
      const head = readFileSync(join(tree.root, split, rel))[0];
      assert.equal(ext, head === 0x89 ? "png" : head === 0x52 ? "webp" : "jpg", rel); // from the bytes, not the name
      assert.equal(sampleClass(s), CLASSES.indexOf(rel.split("/")[0]), rel);
    }
  }
  const train = results[0].manifest;
  assert.deepEqual(train.classes!.map((c) => [c.name, c.written, c.skipped]), [
    ["n01443537", 3, 1],
    ["n01558993", 2, 2],
    ["n02085620", 3, 3],
    ["n09999999", 0, 0],
  ]);
});

Deno.test("convert imagefolder: shards read back with Python's tarfile (webdataset key rules)", () => {
  const dir = join(tmp, "copy", "train");
  const listing = python(
    `import tarfile, glob, re, sys
rx = re.compile(r"^((?:.*/|)[^.]+)[.]([^/]*)$")   # webdataset base_plus_ext
for f in sorted(glob.glob(sys.argv[1] + "/*.tar")):
    with tarfile.open(f) as t:
        for m in t.getmembers():
            k, e = rx.match(m.name).groups()
            data = t.extractfile(m).read()
            print(k, e, m.size, oct(m.mode), m.uname, m.gname, m.mtime, data.decode() if e == "cls" else len(data))`,
    dir,
  ).trim().split("\n");
  assert.equal(listing.length, 2 * tree.good.train.length);
  assert.deepEqual(listing.slice(0, 2), [
    `00000000 jpg ${
      readFileSync(join(tree.root, "train", tree.good.train[0])).length
    } 0o444 bigdata bigdata 0 ${readFileSync(join(tree.root, "train", tree.good.train[0])).length}`,
    "00000000 cls 1 0o444 bigdata bigdata 0 0",
  ]);
  assert.equal(listing[3], "00000001 cls 1 0o444 bigdata bigdata 0 0");
});

Deno.test("convert imagefolder: --resize re-encodes every valid input (CMYK, 16-bit, gray, alpha) to RGB JPEG", async () => {
  const out = join(tmp, "resize");
  const [train] = await convertImageFolder({
    root: tree.root,
    out,
    mode: { kind: "resize", size: 64, quality: 90 },
    command: ["t"],
    splits: ["train"],
  });
  assert.equal(train.manifest.counts.written, tree.good.train.length);
  assert.equal(train.manifest.shards.length, 1); // default 4000 per training shard
  const got = await samples(train.out, ["tree-train-000000.tar"]);
  for (const s of got) {
    assert.deepEqual([...s.fields.keys()], ["jpg", "cls"]);
    const meta = await sharp(sampleImage(s)!).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.channels, meta.space], [
      "jpeg",
      64,
      64,
      3,
      "srgb",
    ]);
  }
});

Deno.test("convert imagefolder: --subset imagenet100 keeps its classes, indexed by the sorted list", async () => {
  const subset = loadSubset("imagenet100");
  assert.equal(subset.classes.length, 100);
  assert.equal(subset.classes[0], "n01558993"); // upstream order kept in the file
  const out = join(tmp, "subset");
  const [train, val] = await convertImageFolder({
    root: tree.root,
    out,
    mode: { kind: "copy" },
    command: ["t"],
    subset: "imagenet100",
  });
  const sorted = [...subset.classes].sort();
  assert.deepEqual(train.manifest.classNames, sorted);
  assert.deepEqual(train.manifest.filtered, { "class not in subset": 4 }); // the four n01443537 files
  assert.equal(
    train.manifest.source.missingClasses && (train.manifest.source.missingClasses as string[]).length,
    98,
  );
  // n01558993: 4 entries (2 good), n02085620: 6 (3 good), the stray file.
  assert.deepEqual(train.manifest.counts, { input: 11, written: 5, skipped: 6 });
  const got = await samples(val.out, val.manifest.shards.map((s) => s.name));
  assert.deepEqual(got.map(sampleClass), [sorted.indexOf("n01558993"), sorted.indexOf("n02085620")]);
});

Deno.test("convert imagefolder: bad arguments are UsageErrors naming the flag or folder", async () => {
  assert.throws(
    () => loadSubset("imagenet7"),
    (e) => e instanceof UsageError && /--subset imagenet7/.test(e.message),
  );
  assert.throws(() => findSplits(tree.root, ["nope"]), /--split nope/);
  await assert.rejects(
    convertImageFolder({
      root: join(tmp, "missing"),
      out: join(tmp, "x"),
      mode: { kind: "copy" },
      command: [],
    }),
    /missing: no such folder/,
  );
  assert.deepEqual([defaultShardSize("train"), defaultShardSize("val"), defaultShardSize("test")], [
    4000,
    1000,
    1000,
  ]);
});

Deno.test({
  name: "convert imagefolder: cleanup",
  fn: () => rmSync(tmp, { recursive: true, force: true }),
});
