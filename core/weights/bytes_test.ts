import { deepStrictEqual, strictEqual, throws } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { bytesOf, readBytes, readIntoOwnBuffer, viewAs } from "./bytes.ts";

Deno.test("viewAs: aligned bytes are viewed without a copy", () => {
  const buf = new Uint8Array(16);
  new Float32Array(buf.buffer).set([1, 2, 3, 4]);
  const v = viewAs("float32", buf.subarray(4, 12));
  deepStrictEqual(Array.from(v), [2, 3]);
  strictEqual(v.buffer, buf.buffer);
});

Deno.test("viewAs: misaligned bytes are copied", () => {
  const buf = new Uint8Array(9);
  new DataView(buf.buffer).setFloat64(1, 2.5, true);
  const v = viewAs("float64", buf.subarray(1));
  deepStrictEqual(Array.from(v), [2.5]);
  strictEqual(v.buffer === buf.buffer, false);
});

Deno.test("viewAs: every dtype picks its typed array", () => {
  const b = new Uint8Array(8);
  strictEqual(viewAs("int64", b) instanceof BigInt64Array, true);
  strictEqual(viewAs("bfloat16", b) instanceof Uint16Array, true);
  strictEqual(viewAs("bool", b) instanceof Uint8Array, true);
  strictEqual(viewAs("int8", b) instanceof Int8Array, true);
  throws(() => viewAs("int32", b.subarray(0, 3)), /whole number/);
});

Deno.test("bytesOf: views the tensor's bytes", () => {
  const data = new Int16Array([1, 2, 3]).subarray(1);
  deepStrictEqual(Array.from(bytesOf({ dtype: "int16", shape: [2], data })), [2, 0, 3, 0]);
});

Deno.test("readBytes: missing files and folders are UsageErrors", () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-bytes-"));
  try {
    throws(() => readBytes(join(dir, "nope.bin"), "checkpoint"), (e) => {
      return e instanceof UsageError && /checkpoint not found: .*nope\.bin/.test(e.message);
    });
    throws(() => readBytes(dir), (e) => e instanceof UsageError && /not a regular file/.test(e.message));
    Deno.writeFileSync(join(dir, "x"), new Uint8Array([7, 8]));
    deepStrictEqual(Array.from(readBytes(join(dir, "x"))), [7, 8]);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

Deno.test("readIntoOwnBuffer: chunked reads give the file byte for byte, empty files included", () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-bytes-"));
  try {
    const data = new Uint8Array(100_003).map((_, i) => (i * 2654435761) >>> 24);
    Deno.writeFileSync(join(dir, "big"), data);
    for (const chunk of [1 << 12, 7_001, 1 << 20]) {
      const got = readIntoOwnBuffer(join(dir, "big"), chunk);
      strictEqual(got.byteLength, data.byteLength);
      strictEqual(got.buffer.byteLength, data.byteLength, "one buffer of the file's size");
      deepStrictEqual(got, data);
    }
    Deno.writeFileSync(join(dir, "empty"), new Uint8Array(0));
    strictEqual(readBytes(join(dir, "empty")).byteLength, 0);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
