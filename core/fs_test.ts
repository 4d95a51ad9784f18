import { deepStrictEqual, ok, throws } from "node:assert";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeAllSync, writeFileAtomic, type WriteFn } from "./fs.ts";

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255);

Deno.test("writeAllSync: slices of at most the chunk, in order, resuming after short writes", () => {
  const calls: [number, number][] = [];
  const out: number[] = [];
  // A writer that accepts at most 3 bytes per call (a short write), as a pipe or a full disk may.
  const write: WriteFn = (_fd, d, off, len) => {
    calls.push([off, len]);
    const n = Math.min(len, 3);
    out.push(...d.subarray(off, off + n));
    return n;
  };
  const data = bytes(23);
  writeAllSync(7, data, { chunk: 5, write });
  deepStrictEqual(out, [...data]);
  ok(calls.every(([, len]) => len <= 5));
  // Offsets advance by what each call wrote (3 bytes), each call asking for up to the chunk (5).
  deepStrictEqual(calls.slice(0, 4), [[0, 5], [3, 5], [6, 5], [9, 5]]);
  deepStrictEqual(calls.at(-1), [21, 2]);
  deepStrictEqual(calls.length, 8); // ⌈23 / 3⌉
});

Deno.test("writeAllSync: a writer that makes no progress is an error, not an endless loop", () => {
  throws(() => writeAllSync(7, bytes(4), { write: () => 0 }), /write returned 0 at byte 0 of 4/);
  throws(() => writeAllSync(7, bytes(4), { chunk: 0 }), /write chunk 0/);
});

Deno.test("writeFileAtomic: chunked write of bytes and text round-trips; no temporary file is left", () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-fs-"));
  try {
    const sizes: number[] = [];
    const write: WriteFn = (fd, d, off, len) => (sizes.push(len), writeSync(fd, d, off, len));
    const data = bytes(1000);
    writeFileAtomic(join(dir, "sub", "a.bin"), data, { chunk: 64, write });
    deepStrictEqual(new Uint8Array(readFileSync(join(dir, "sub", "a.bin"))), data);
    deepStrictEqual(sizes, [...Array(15).fill(64), 1000 - 15 * 64]);
    writeFileAtomic(join(dir, "b.txt"), "héllo\n", { chunk: 2 });
    deepStrictEqual(readFileSync(join(dir, "b.txt"), "utf8"), "héllo\n");
    writeFileAtomic(join(dir, "empty"), new Uint8Array(0));
    deepStrictEqual(readFileSync(join(dir, "empty")).length, 0);
    deepStrictEqual(readdirSync(dir).sort(), ["b.txt", "empty", "sub"]);
    deepStrictEqual(readdirSync(join(dir, "sub")), ["a.bin"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("writeFileAtomic: a failed write removes the temporary file and keeps the old file", () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-fs-"));
  try {
    const path = join(dir, "a.bin");
    writeFileAtomic(path, bytes(10));
    let calls = 0;
    const failing: WriteFn = (fd, d, off, len) => {
      if (++calls === 3) throw new Error("disk full (simulated)");
      return writeSync(fd, d, off, len);
    };
    throws(() => writeFileAtomic(path, bytes(100), { chunk: 8, write: failing }), /disk full/);
    deepStrictEqual(new Uint8Array(readFileSync(path)), bytes(10));
    deepStrictEqual(readdirSync(dir), ["a.bin"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
