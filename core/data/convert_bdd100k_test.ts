import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { PHOTOS } from "./_dataset_fixture.ts";
import { convertBdd100k, findBddImages, findBddLabels } from "./convert_bdd100k.ts";
import { readTar } from "./tar_read.ts";
import { groupSamples } from "./webdataset.ts";

// A BDD100K-shaped root: images/100k/{train,val}/<frame>.jpg and v1 label files with attributes.
const dir = mkdtempSync(join(tmpdir(), "tok1d-bdd-"));
const root = join(dir, "bdd100k");
const rocket = readFileSync(join(PHOTOS, "rocket.jpg"));
const frames: Record<string, [string, string, string][]> = {
  train: [
    ["b1c66a42-6f7d68ca", "daytime", "clear"],
    ["b1c81faa-3df17267", "night", "clear"],
    ["b1c9c847-3bda4659", "daytime", "rainy"],
    ["b1ca2e5d-84cf9134", "daytime", "clear"],
    ["b1cac6a7-04e33135", "dawn/dusk", "clear"],
    ["b1cd1e94-549d0bfe", "daytime", "clear"], // not in the labels
  ],
  val: [["b1d0091f-75824d0d", "daytime", "clear"], ["b1d0a191-2ed2269e", "night", "overcast"]],
};
for (const [split, list] of Object.entries(frames)) {
  mkdirSync(join(root, "images", "100k", split), { recursive: true });
  for (const [name] of list) writeFileSync(join(root, "images", "100k", split, `${name}.jpg`), rocket);
  const labels = list.filter(([n]) => n !== "b1cd1e94-549d0bfe").map(([name, timeofday, weather]) => ({
    name: `${name}.jpg`,
    attributes: { weather, scene: "city street", timeofday },
    timestamp: 10000,
    labels: [{ category: "car", box2d: { x1: 1, y1: 2, x2: 3, y2: 4 } }],
  }));
  mkdirSync(join(root, "labels"), { recursive: true });
  writeFileSync(join(root, "labels", `bdd100k_labels_images_${split}.json`), JSON.stringify(labels));
}

Deno.test("convert bdd100k: daytime + clear keeps 2 of 6 training frames; filtered frames are counted by reason", async () => {
  assert.deepEqual(findBddImages(root), { dir: join(root, "images", "100k"), splits: ["train", "val"] });
  assert.equal(findBddLabels(root, "val"), join(root, "labels", "bdd100k_labels_images_val.json"));
  const results = await convertBdd100k({
    root,
    out: join(dir, "out"),
    mode: { kind: "copy" },
    command: ["t"],
    filters: { timeofday: ["daytime"], weather: ["clear"] },
  });
  const [train, val] = results.map((r) => r.manifest);
  assert.deepEqual(train.counts, { input: 2, written: 2, skipped: 0 });
  assert.deepEqual(train.filtered, {
    "timeofday night": 1,
    "weather rainy": 1,
    "timeofday dawn/dusk": 1,
    "no label entry": 1,
  });
  assert.deepEqual(train.source, {
    kind: "bdd100k",
    split: "train",
    labels: "bdd100k_labels_images_train.json",
    filters: { timeofday: ["daytime"], weather: ["clear"] },
  });
  assert.deepEqual(val.counts, { input: 1, written: 1, skipped: 0 });
  const samples = [];
  for await (const s of groupSamples(readTar(join(dir, "out", "train", "bdd100k-train-000000.tar")))) {
    samples.push(s);
  }
  assert.deepEqual(samples.map((s) => [s.key, [...s.fields.keys()]]), [["00000000", ["jpg", "json"]], [
    "00000001",
    ["jpg", "json"],
  ]]);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(samples[1].fields.get("json"))), {
    name: "b1ca2e5d-84cf9134.jpg",
    timeofday: "daytime",
    weather: "clear",
    scene: "city street",
  });
  assert.deepEqual(samples[0].fields.get("jpg"), new Uint8Array(rocket));
});

Deno.test("convert bdd100k: without filters every frame is kept; filters without labels are a UsageError", async () => {
  const [train] = await convertBdd100k({
    root,
    out: join(dir, "all"),
    mode: { kind: "copy" },
    command: ["t"],
    splits: ["train"],
  });
  assert.deepEqual(train.manifest.counts, { input: 6, written: 6, skipped: 0 });
  const bare = join(dir, "frames");
  mkdirSync(bare);
  writeFileSync(join(bare, "x.jpg"), rocket);
  await assert.rejects(
    convertBdd100k({
      root: bare,
      out: join(dir, "o2"),
      mode: { kind: "copy" },
      command: [],
      filters: { weather: ["clear"] },
    }),
    (e) => e instanceof UsageError && /filters need labels/.test(e.message),
  );
  const [one] = await convertBdd100k({
    root: bare,
    out: join(dir, "o3"),
    mode: { kind: "copy" },
    command: [],
  });
  assert.deepEqual(one.manifest.counts, { input: 1, written: 1, skipped: 0 });
  await assert.rejects(
    convertBdd100k({ root, out: join(dir, "o4"), mode: { kind: "copy" }, command: [], labels: "x.json" }),
    /--labels x\.json: give one --split/,
  );
});

Deno.test({ name: "convert bdd100k: cleanup", fn: () => rmSync(dir, { recursive: true }) });
