import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { Rng } from "../init.ts";
import { PHOTOS } from "./_dataset_fixture.ts";
import { convertToShards } from "./convert.ts";
import { resolveSource, type SourceItem, sourceItems } from "./sources.ts";

const dir = mkdtempSync(join(tmpdir(), "tok1d-sources-"));
const flat = join(dir, "flat");
mkdirSync(join(flat, "more"), { recursive: true });
symlinkSync(join(PHOTOS, "rocket.jpg"), join(flat, "b.jpg"));
symlinkSync(join(PHOTOS, "chelsea.png"), join(flat, "a.PNG"));
symlinkSync(join(PHOTOS, "coffee.png"), join(flat, "more", "c.png"));
writeFileSync(join(flat, "notes.txt"), "not an image");
const shards = join(dir, "shards");
await convertToShards({
  out: shards,
  prefix: "s",
  shardSize: 2,
  mode: { kind: "copy" },
  inputs: ["a.PNG", "b.jpg", "more/c.png"].map((rel, i) => ({ rel, path: join(flat, rel), cls: i })),
  source: { kind: "test" },
  command: [],
});
const keys = async (items: AsyncIterable<SourceItem> | Iterable<SourceItem>) => {
  const out: string[] = [];
  for await (const x of items) out.push(`${x.key}:${x.label ?? "-"}`);
  return out;
};

Deno.test("sources: kinds, counts and keys of folders, trees, shard folders, single shards and patterns", async () => {
  const f = resolveSource(flat);
  assert.deepEqual([f.kind, f.count], ["folder", 3]);
  assert.deepEqual(await keys(sourceItems(f, {}).items), ["a:-", "b:-", "more/c:-"]);
  const t = resolveSource(dir.replace(/$/, "/flat/.."));
  assert.equal(t.kind, "tree"); // dir holds only folders: flat/ and shards/ (a tar is not an image)
  const s = resolveSource(shards);
  assert.deepEqual([s.kind, s.count, s.shards!.length], ["shards", 3, 2]);
  assert.deepEqual(await keys(sourceItems(s, {}).items), ["00000000:0", "00000001:1", "00000002:2"]);
  assert.equal(resolveSource(join(shards, "s-000001.tar")).count, 1);
  assert.equal(resolveSource(join(shards, "s-{000000..000001}.tar")).count, 3);
});

Deno.test("sources: slices and shuffled orders are deterministic and cover everything once", async () => {
  const s = resolveSource(shards);
  const parts = [0, 1].map((index) => sourceItems(s, { slice: { index, count: 2 } }));
  assert.deepEqual(parts.map((p) => p.count), [2, 1]); // by shard: [s-000000], [s-000001]
  const fine = [0, 1, 2].map((index) => sourceItems(s, { slice: { index, count: 3 } })); // fewer shards than parts
  assert.deepEqual(fine.map((p) => p.count), [1, 1, 1]);
  assert.deepEqual(await Promise.all(fine.map((p) => keys(p.items))), [["00000000:0"], ["00000001:1"], [
    "00000002:2",
  ]]);
  const f = resolveSource(flat);
  const a = await keys(sourceItems(f, { rng: new Rng(3) }).items);
  assert.deepEqual(a, await keys(sourceItems(f, { rng: new Rng(3) }).items));
  assert.deepEqual([...a].sort(), ["a:-", "b:-", "more/c:-"]);
});

Deno.test("sources: specs that name nothing usable are UsageErrors naming them", () => {
  assert.throws(
    () => resolveSource(join(dir, "nope")),
    (e) => e instanceof UsageError && e.message.includes("nope: not a folder"),
  );
  assert.throws(() => resolveSource(join(shards, "s-{000000..000003}.tar")), /s-000002\.tar does not exist/);
  mkdirSync(join(dir, "empty"));
  assert.throws(() => resolveSource(join(dir, "empty")), /no \.jpg\/\.jpeg\/\.png\/\.webp images/);
});

Deno.test({ name: "sources: cleanup", fn: () => rmSync(dir, { recursive: true }) });
