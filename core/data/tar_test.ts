import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { python } from "./_dataset_fixture.ts";
import {
  blockPadding,
  checkMemberName,
  packTar,
  TAR_BLOCK,
  TAR_RECORD,
  tarHeader,
  tarTrailer,
} from "./tar.ts";

const enc = new TextEncoder();

Deno.test("tar: ustar header fields, octal and checksum as Python's tarfile writes them", () => {
  const h = tarHeader("00000001.jpg", 1234, { mtime: 1_700_000_000 });
  const field = (a: number, n: number) => new TextDecoder().decode(h.subarray(a, a + n));
  assert.equal(h.length, TAR_BLOCK);
  assert.equal(field(0, 13), "00000001.jpg\0");
  assert.equal(field(100, 8), "0000444\0");
  assert.equal(field(124, 12), "00000002322\0"); // 1234 in octal
  assert.equal(field(136, 12), "14524770400\0"); // 1700000000 in octal
  assert.equal(field(156, 1), "0");
  assert.equal(field(257, 8), "ustar\x0000");
  assert.equal(field(265, 8), "bigdata\0");
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  assert.equal(field(148, 8), sum.toString(8).padStart(6, "0") + "\0 ");
});

Deno.test("tar: archives are padded to whole records; Python's tarfile reads names, sizes, data, mode, owner, time", () => {
  const long = "x".repeat(120) + "/ünïcode-key.seg.png";
  const entries = [
    { name: "00000000.jpg", data: enc.encode("JPEGDATA") },
    { name: "00000000.cls", data: enc.encode("42") },
    { name: long, data: new Uint8Array(513).fill(7) },
    { name: "empty.txt", data: new Uint8Array(0) },
  ];
  const tar = packTar(entries, { mtime: 86400 });
  assert.equal(tar.length % TAR_RECORD, 0);
  const dir = mkdtempSync(join(tmpdir(), "tok1d-tar-"));
  try {
    writeFileSync(join(dir, "a.tar"), tar);
    const out = python(
      `import tarfile, sys, hashlib
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        d = t.extractfile(m).read()
        print(repr(m.name), m.size, oct(m.mode), m.uname, m.gname, m.uid, m.gid, m.mtime, hashlib.sha256(d).hexdigest()[:12])`,
      join(dir, "a.tar"),
    ).trim().split("\n");
    assert.equal(out.length, 4);
    assert.match(out[0], /^'00000000\.jpg' 8 0o444 bigdata bigdata 0 0 86400 /);
    assert.match(out[1], /^'00000000\.cls' 2 0o444 /);
    assert.equal(out[2].split(" ")[0], `'${long}'`); // PAX path record
    assert.match(out[2], / 513 0o444 /);
    const sha = createHash("sha256").update(new Uint8Array(513).fill(7)).digest("hex").slice(0, 12);
    assert.ok(out[2].endsWith(` ${sha}`), "data of the PAX member");
    assert.match(out[3], /^'empty\.txt' 0 /);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

Deno.test("tar: the same entries give the same bytes; padding helpers", () => {
  const e = [{ name: "a.b", data: enc.encode("hello") }];
  assert.deepEqual(packTar(e), packTar(e));
  assert.deepEqual([blockPadding(0), blockPadding(1), blockPadding(512), blockPadding(513)], [
    0,
    511,
    0,
    511,
  ]);
  assert.equal(tarTrailer(TAR_RECORD - 2 * TAR_BLOCK).length, 2 * TAR_BLOCK);
  assert.equal(tarTrailer(512).length, TAR_RECORD - 512);
});

Deno.test("tar: member names that could leave the extraction folder are refused", () => {
  for (const bad of ["../x", "/etc/passwd", "a/../../b", "", "a//b", "nul\0"]) {
    assert.throws(() => checkMemberName(bad), UsageError, bad);
    assert.throws(() => tarHeader(bad, 0), UsageError);
  }
  checkMemberName("train/00000001.jpg");
});
