import { deepStrictEqual, ok, strictEqual, throws } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { zipSync } from "fflate";
import { UsageError } from "../errors.ts";
import { InflateTally, isZip, readZip, zipEntryData } from "./zip.ts";

const DIR = new URL("../../tests/testdata/weights/", import.meta.url).pathname;
const enc = new TextEncoder();

function file(name: string): Uint8Array {
  const b = readFileSync(join(DIR, name));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** A hand-made STORED zip whose central directory uses zip64 extra fields for every size and offset. */
function zip64(files: Record<string, Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(files)) {
    const n = enc.encode(name);
    const local = new Uint8Array(30 + n.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(26, n.length, true);
    local.set(n, 30);
    const cd = new Uint8Array(46 + n.length + 28);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint32(20, 0xffffffff, true);
    cv.setUint32(24, 0xffffffff, true);
    cv.setUint16(28, n.length, true);
    cv.setUint16(30, 28, true);
    cv.setUint32(42, 0xffffffff, true);
    cd.set(n, 46);
    const x = 46 + n.length;
    cv.setUint16(x, 1, true);
    cv.setUint16(x + 2, 24, true);
    cv.setBigUint64(x + 4, BigInt(data.length), true);
    cv.setBigUint64(x + 12, BigInt(data.length), true);
    cv.setBigUint64(x + 20, BigInt(offset), true);
    parts.push(local, data);
    central.push(cd);
    offset += local.length + data.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(10, central.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((s, c) => s + c.length, 0));
  let p = 0;
  for (const c of all) out.set(c, (p += c.length) - c.length);
  return out;
}

function damaged(fn: () => unknown, pattern: RegExp) {
  throws(fn, (e) => {
    ok(e instanceof UsageError, `expected UsageError, got ${e}`);
    ok(pattern.test(e.message), e.message);
    return true;
  });
}

Deno.test("zip: reads torch.save's archive (zip64 records) as views", () => {
  const bytes = file("tiny.bin");
  ok(isZip(bytes));
  const entries = readZip(bytes, "tiny.bin");
  ok(entries.has("tiny/data.pkl"));
  ok(entries.has("tiny/data/17"));
  const data = zipEntryData(bytes, entries.get("tiny/data/17")!, "tiny.bin");
  strictEqual(data.buffer, bytes.buffer);
  strictEqual(data.byteOffset % 64, 0); // torch aligns storages to 64 bytes
  deepStrictEqual(Array.from(new Float32Array(data.slice().buffer)), Array.from({ length: 20 }, (_, i) => i));
});

Deno.test("zip: STORED and DEFLATE entries from another writer", () => {
  const payload = enc.encode("hello hello hello hello hello hello");
  const bytes = zipSync({
    "a/stored.txt": [payload, { level: 0 }],
    "a/deflated.txt": [payload, { level: 9 }],
  });
  const entries = readZip(bytes);
  strictEqual(entries.get("a/stored.txt")!.method, 0);
  strictEqual(entries.get("a/deflated.txt")!.method, 8);
  deepStrictEqual(zipEntryData(bytes, entries.get("a/stored.txt")!), payload);
  deepStrictEqual(zipEntryData(bytes, entries.get("a/deflated.txt")!), payload);
});

Deno.test("zip: zip64 extra fields in the central directory", () => {
  const bytes = zip64({ "x/one": enc.encode("1"), "x/two": enc.encode("22") });
  const entries = readZip(bytes);
  deepStrictEqual(entries.get("x/two"), {
    name: "x/two",
    method: 0,
    compressedSize: 2,
    size: 2,
    localHeaderOffset: 36,
  });
  deepStrictEqual(zipEntryData(bytes, entries.get("x/two")!), enc.encode("22"));
});

Deno.test("zip: damaged archives are UsageErrors, never out-of-bounds reads", () => {
  const bytes = file("proto4.pt");
  damaged(
    () => readZip(new Uint8Array(10), "x.pt"),
    /x\.pt: damaged zip archive: no end-of-central-directory/,
  );
  damaged(() => readZip(bytes.subarray(0, bytes.length - 30), "x.pt"), /damaged zip archive/);
  const entries = readZip(bytes, "x.pt");
  const entry = entries.get("proto4/data/1")!;
  damaged(() => zipEntryData(bytes.subarray(0, entry.localHeaderOffset + 40), entry, "x.pt"), /past the end/);
  damaged(() => zipEntryData(bytes, { ...entry, localHeaderOffset: 3 }, "x.pt"), /no local header/);
  damaged(() => zipEntryData(bytes, { ...entry, method: 12 }, "x.pt"), /compression method 12/);
  damaged(() => zipEntryData(bytes, { ...entry, compressedSize: 1e9, size: 1e9 }, "x.pt"), /past the end/);
  const copy = bytes.slice();
  const cd = copy.findLastIndex((_, i) => copy[i] === 0x50 && copy[i + 1] === 0x4b && copy[i + 2] === 1);
  copy[cd + 3] = 9; // break the last central entry's signature
  damaged(() => readZip(copy, "x.pt"), /bad signature/);
});

Deno.test("zip: DEFLATE output is capped at the declared size; overlapping entries are refused (issue 12)", () => {
  const payload = new Uint8Array(100_000); // zeros: 100 KB from ~100 bytes
  const bytes = zipSync({ "a/x.bin": [payload, { level: 9 }] });
  const entry = readZip(bytes).get("a/x.bin")!;
  strictEqual(zipEntryData(bytes, entry).length, 100_000);
  damaged(
    () => zipEntryData(bytes, { ...entry, size: 1000 }, "b.pth"),
    /b\.pth: .*inflates past the 1000 bytes/,
  );
  damaged(
    () => zipEntryData(bytes, { ...entry, size: 110_000 }, "b.pth"),
    /inflates to 100000 bytes, not the 110000/,
  );
  damaged(
    () => zipEntryData(bytes, { ...entry, size: 200_000 }, "b.pth"),
    /more than 113 deflated bytes can hold/,
  );
  damaged(() => zipEntryData(bytes, { ...entry, size: 2 ** 31 }, "b.pth"), /inflatedBytes budget/);
  const tally = new InflateTally();
  tally.bytes = 2 ** 30 - 10;
  damaged(
    () => zipEntryData(bytes, entry, "b.pth", tally),
    /after 1073741814 inflated bytes exceeds the inflatedBytes/,
  );
  const two = zipSync({ "a/1": enc.encode("one"), "a/2": enc.encode("two") });
  const at = two.findIndex((_, i) =>
    two[i] === 0x50 && two[i + 1] === 0x4b && two[i + 2] === 1 && two[i + 3] === 2
  );
  const next = two.indexOf(0x50, at + 46); // the second central entry: point it at the first local header
  const copy = two.slice();
  new DataView(copy.buffer).setUint32(next + 42, 0, true);
  damaged(() => readZip(copy, "o.pth"), /o\.pth: damaged zip archive: entries 'a\/1' and 'a\/2' overlap/);
});
