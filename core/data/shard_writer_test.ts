import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { partialPath, ShardWriter } from "./shard_writer.ts";
import { packTar } from "./tar.ts";

const dir = mkdtempSync(join(tmpdir(), "tok1d-shardwriter-"));
const entries = [
  { name: "00000000.jpg", data: new Uint8Array(3_000_000).map((_, i) => i % 251) }, // crosses the 1 MiB flush
  { name: "00000000.cls", data: new TextEncoder().encode("5") },
];

Deno.test("shard_writer: the file appears only when finished, equals packTar, and its SHA-256 is reported", () => {
  const path = join(dir, "s-000000.tar");
  const w = new ShardWriter(path, { mtime: 12 });
  for (const e of entries) w.add(e.name, e.data);
  assert.ok(!existsSync(path));
  assert.ok(existsSync(partialPath(path)));
  assert.equal(partialPath(path), join(dir, ".s-000000.tar.partial"));
  const { bytes, sha256 } = w.finish();
  const expected = packTar(entries, { mtime: 12 });
  const written = readFileSync(path);
  assert.deepEqual(new Uint8Array(written), expected);
  assert.equal(bytes, expected.length);
  assert.equal(sha256, createHash("sha256").update(expected).digest("hex"));
  assert.ok(!existsSync(partialPath(path)));
  assert.throws(() => w.add("x.jpg", new Uint8Array(1)), /already finished/);
});

Deno.test("shard_writer: abort removes the temporary file and leaves no shard", () => {
  const path = join(dir, "s-000001.tar");
  const w = new ShardWriter(path);
  w.add("a.jpg", new Uint8Array(10));
  w.abort();
  assert.ok(!existsSync(path) && !existsSync(partialPath(path)));
});

Deno.test({ name: "shard_writer: cleanup", fn: () => rmSync(dir, { recursive: true }) });
