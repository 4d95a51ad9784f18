import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import {
  buildManifest,
  type JobDescription,
  jobDifferences,
  manifestName,
  mergeManifests,
  readManifest,
  type ShardRecord,
  writeManifest,
} from "./manifest.ts";

const job: JobDescription = {
  tool: { name: "tok1d", version: "0" },
  source: { kind: "t" },
  settings: { shardSize: 2 },
  inputs: { count: 5, sha256: "ab" },
  filtered: {},
  classNames: ["a", "b"],
  shardCount: 3,
};
const shard = (index: number, samples: number, classes: Record<string, number>): ShardRecord => ({
  index,
  name: `p-00000${index}.tar`,
  inputs: [2 * index, Math.min(2 * index + 2, 5)],
  samples,
  skipped: Math.min(2 * index + 2, 5) - 2 * index - samples,
  bytes: 10240,
  sha256: "00",
  classes,
});
const s0 = shard(0, 2, { a: 2 }), s1 = shard(1, 1, { b: 1 }), s2 = shard(2, 1, { b: 1 });
const skip = { key: "00000003", path: "b/x.jpg", reason: "empty file (0 bytes)", class: "b" };

Deno.test("manifest: counts balance and per-class totals come from shards and skips", () => {
  const m = buildManifest(job, { commands: [["c"]], parts: { count: 1, done: [0] }, complete: true }, [
    s2,
    s0,
    s1,
  ], [skip]);
  assert.deepEqual(m.counts, { input: 5, written: 4, skipped: 1 });
  assert.deepEqual(m.shards.map((s) => s.index), [0, 1, 2]);
  assert.deepEqual(m.classes, [{ index: 0, name: "a", written: 2, skipped: 0 }, {
    index: 1,
    name: "b",
    written: 2,
    skipped: 1,
  }]);
  assert.deepEqual([manifestName({ index: 0, count: 1 }), manifestName({ index: 2, count: 4 })], [
    "manifest.json",
    "manifest.shard-2-of-4.json",
  ]);
});

Deno.test("manifest: merging parts gives the whole; other jobs and duplicates are refused", () => {
  const whole = buildManifest(job, { commands: [["c"]], parts: { count: 1, done: [0] }, complete: true }, [
    s0,
    s1,
    s2,
  ], [skip]);
  const p0 = buildManifest(
    job,
    { commands: [["c0"]], parts: { count: 2, done: [0] }, complete: true },
    [s0],
    [],
  );
  const p1 = buildManifest(job, { commands: [["c1"]], parts: { count: 2, done: [1] }, complete: true }, [
    s1,
    s2,
  ], [skip]);
  const merged = mergeManifests([p1, p0]);
  assert.deepEqual({ ...merged, commands: [["c"]] }, whole);
  assert.deepEqual(merged.commands, [["c1"], ["c0"]]);
  assert.equal(mergeManifests([p0]).complete, false);
  assert.throws(() => mergeManifests([p0, p0], ["x.json", "y.json"]), /part 0\/2 appears twice \(y\.json\)/);
  const other = buildManifest(
    { ...job, settings: { shardSize: 3 } },
    { commands: [], parts: { count: 2, done: [1] }, complete: true },
    [],
    [],
  );
  assert.throws(
    () => mergeManifests([p0, other]),
    (e) => e instanceof UsageError && /settings\.shardSize: 2 ≠ 3/.test(e.message),
  );
  assert.deepEqual(jobDifferences(job, { ...job, classNames: ["a"] }), ['classNames: ["a","b"] ≠ ["a"]']);
});

Deno.test("manifest: written as indented JSON, read back; foreign files are UsageErrors naming them", () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-manifest-"));
  try {
    const m = buildManifest(job, { commands: [], parts: { count: 1, done: [0] }, complete: false }, [s0], []);
    writeManifest(join(dir, "manifest.json"), m);
    assert.deepEqual(readManifest(join(dir, "manifest.json")), m);
    assert.match(
      readFileSync(join(dir, "manifest.json"), "utf8"),
      /^\{\n {2}"format": "tok1d-webdataset-manifest",/,
    );
    writeFileSync(join(dir, "other.json"), '{"hello": 1}');
    assert.throws(
      () => readManifest(join(dir, "other.json")),
      /other\.json: not a tok1d webdataset manifest/,
    );
    writeFileSync(join(dir, "broken.json"), "{");
    assert.throws(() => readManifest(join(dir, "broken.json")), /broken\.json: not a readable manifest/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
