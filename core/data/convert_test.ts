import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PHOTOS } from "./_dataset_fixture.ts";
import { type ConvertInput, type ConvertJob, convertToShards } from "./convert.ts";
import { type Manifest, mergeManifests, readManifest } from "./manifest.ts";
import { readTar } from "./tar_read.ts";

const tmp = mkdtempSync(join(tmpdir(), "tok1d-convert-"));
const photos = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"];
// 10 inputs: the photos over and over, with two bad ones in between.
const inputs: ConvertInput[] = Array.from(
  { length: 10 },
  (_, i) =>
    i === 3
      ? { rel: "missing.jpg", path: join(tmp, "missing.jpg") }
      : i === 7
      ? { rel: "loop", error: "symlink loop" }
      : {
        rel: `${i}/${photos[i % 4]}`,
        path: join(PHOTOS, photos[i % 4]),
        cls: i % 3,
        className: `c${i % 3}`,
      },
);
const job = (out: string, extra: Partial<ConvertJob> = {}): ConvertJob => ({
  out,
  prefix: "p",
  shardSize: 3,
  mode: { kind: "copy" },
  inputs,
  source: { kind: "test" },
  classNames: ["c0", "c1", "c2"],
  command: ["convert", "test"],
  ...extra,
});

/** name → sha256 of every file in a folder. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir).sort().map((
      f,
    ) => [f, createHash("sha256").update(readFileSync(join(dir, f))).digest("hex")]),
  );
}

const reference = join(tmp, "reference");
const ref = await convertToShards(job(reference));

Deno.test("convert: shard i covers inputs [3i, 3i+3); keys are input positions; skips leave gaps", async () => {
  assert.deepEqual(ref.shards.map((s) => [s.name, s.inputs, s.samples, s.skipped]), [
    ["p-000000.tar", [0, 3], 3, 0],
    ["p-000001.tar", [3, 6], 2, 1],
    ["p-000002.tar", [6, 9], 2, 1],
    ["p-000003.tar", [9, 10], 1, 0],
  ]);
  assert.deepEqual(ref.counts, { input: 10, written: 8, skipped: 2 });
  assert.deepEqual(ref.skipped.map((s) => [s.key, s.path]), [["00000003", "missing.jpg"], [
    "00000007",
    "loop",
  ]]);
  assert.match(ref.skipped[0].reason, /no such file/);
  const names: string[] = [];
  for await (const m of readTar(join(reference, "p-000001.tar"))) names.push(m.name);
  assert.deepEqual(names, ["00000004.png", "00000004.cls", "00000005.png", "00000005.cls"]);
  for (const s of ref.shards) {
    const bytes = readFileSync(join(reference, s.name));
    assert.equal(bytes.length, s.bytes);
    assert.equal(bytes.length % 10240, 0);
    assert.equal(createHash("sha256").update(bytes).digest("hex"), s.sha256);
  }
  assert.deepEqual(ref.classes!.map((c) => [c.name, c.written]), [["c0", 3], ["c1", 2], ["c2", 3]]);
});

Deno.test("convert: a rerun after a crash keeps complete shards and rewrites the rest byte-identically", async () => {
  const out = join(tmp, "crash");
  await convertToShards(job(out));
  // State of a run killed while writing shard 2: shards 0-1 done and in the manifest; 2 half-written.
  const m = readManifest(join(out, "manifest.json"));
  m.shards = m.shards.slice(0, 2);
  m.skipped = m.skipped.slice(0, 1);
  m.complete = false;
  writeFileSync(join(out, "manifest.json"), JSON.stringify(m));
  writeFileSync(join(out, ".p-000002.tar.partial"), readFileSync(join(out, "p-000002.tar")).subarray(0, 700));
  writeFileSync(join(out, ".manifest.json.4242.1700000000000.tmp"), "{"); // killed while saving the manifest
  unlinkSync(join(out, "p-000002.tar"));
  unlinkSync(join(out, "p-000003.tar"));
  const before = readFileSync(join(out, "p-000000.tar"));
  writeFileSync(join(out, "p-000000.tar"), before); // kept as is: same size
  let first = -1;
  await convertToShards(job(out, { onProgress: (d) => first < 0 && (first = d) }));
  assert.equal(first, 6, "the 6 inputs of shards 0-1 count as done from the start");
  assert.deepEqual(snapshot(out), snapshot(reference));
});

Deno.test("convert: a shard whose size disagrees with the manifest is rewritten", async () => {
  const out = join(tmp, "damaged");
  await convertToShards(job(out));
  writeFileSync(join(out, "p-000001.tar"), new Uint8Array(10));
  await convertToShards(job(out));
  assert.deepEqual(snapshot(out), snapshot(reference));
});

Deno.test("convert: --shard K/N parts write disjoint shards that merge into the unsplit result", async () => {
  const out = join(tmp, "parts");
  const parts: Manifest[] = [];
  for (let k = 0; k < 3; k++) parts.push(await convertToShards(job(out, { slice: { index: k, count: 3 } })));
  assert.deepEqual(parts.map((p) => p.shards.map((s) => s.index)), [[0], [1], [2, 3]]);
  assert.ok(existsSync(join(out, "manifest.shard-1-of-3.json")));
  const merged = mergeManifests(parts);
  assert.deepEqual({ ...merged, commands: [] }, { ...ref, commands: [] });
  assert.equal(merged.commands.length, 3);
  const files = snapshot(out);
  for (const [name, hash] of Object.entries(snapshot(reference))) {
    if (name.endsWith(".tar")) assert.equal(files[name], hash);
  }
  assert.equal(mergeManifests(parts.slice(0, 2)).complete, false);
  assert.throws(() => mergeManifests([parts[0], parts[0]]), /part 0\/3 appears twice/);
});

Deno.test("convert: an output folder of another job is refused unless --overwrite", async () => {
  const out = join(tmp, "other");
  await convertToShards(job(out));
  await assert.rejects(
    convertToShards(job(out, { shardSize: 4 })),
    /--out .*other settings.*settings.shardSize: 3 ≠ 4/,
  );
  const m = await convertToShards(job(out, { shardSize: 4, overwrite: true }));
  assert.deepEqual(m.shards.map((s) => s.name), ["p-000000.tar", "p-000001.tar", "p-000002.tar"]);
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith(".tar")).sort(), m.shards.map((s) => s.name));
});

Deno.test("convert: --mtime sets the tar times; the data bytes stay the same", async () => {
  const out = join(tmp, "mtime");
  const m = await convertToShards(job(out, { mtime: 1_700_000_000 }));
  assert.notEqual(m.shards[0].sha256, ref.shards[0].sha256);
  const header = readFileSync(join(out, "p-000000.tar")).subarray(136, 147);
  assert.equal(new TextDecoder().decode(header), (1_700_000_000).toString(8).padStart(11, "0"));
});

Deno.test({ name: "convert: cleanup", fn: () => rmSync(tmp, { recursive: true, force: true }) });
