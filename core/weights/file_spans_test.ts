/**
 * File spans: a view of a whole file's buffer maps to its offset in the file;
 * other buffers, partial reads and detached buffers map to nothing; a file
 * changed after it was read is refused by name.
 */
import { deepStrictEqual, doesNotThrow, strictEqual, throws } from "node:assert";
import { checkUnchanged, fileSpanOf, registerFileBytes } from "./file_spans.ts";
import { readBytes } from "./bytes.ts";

Deno.test("file spans: a view's byte offset in a registered file's buffer is its offset in the file", () => {
  const dir = Deno.makeTempDirSync({ prefix: "tok1d-spans-" });
  try {
    const path = `${dir}/w.bin`;
    Deno.writeFileSync(path, Uint8Array.from({ length: 64 }, (_, i) => i));
    const bytes = readBytes(path);
    const before = { dtype: "float32" as const, shape: [2], data: new Float32Array(bytes.buffer, 8, 2) };
    strictEqual(fileSpanOf(before), undefined, "not registered yet");
    registerFileBytes(bytes, path);
    const span = fileSpanOf(before)!;
    deepStrictEqual([span.path, span.offset, span.length, span.dtype, span.shape], [path, 8, 8, "float32", [
      2,
    ]]);
    strictEqual(Deno.readFileSync(path)[span.offset], 8, "the file's byte at that offset");
    // A part of a file, or any other buffer: no span.
    const part = bytes.slice(0, 32);
    registerFileBytes(part, path);
    strictEqual(fileSpanOf({ dtype: "uint8", shape: [4], data: part.subarray(0, 4) }), undefined);
    strictEqual(fileSpanOf({ dtype: "float32", shape: [1], data: new Float32Array(1) }), undefined);
    doesNotThrow(() => checkUnchanged(span));
    Deno.writeFileSync(path, new Uint8Array(65));
    throws(() => checkUnchanged(span), /w\.bin changed after it was loaded \(size 64 → 65\); load it again/);
    Deno.removeSync(path);
    throws(() => checkUnchanged(span), /w\.bin was removed after it was loaded/);
    (bytes.buffer as ArrayBuffer).transfer(0);
    strictEqual(fileSpanOf(before), undefined, "a detached buffer has no span");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
