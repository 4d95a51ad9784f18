import { deepStrictEqual, ok, strictEqual, throws } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { type Tensor, toFloat32 } from "../tensor.ts";
import { parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors } from "./safetensors.ts";

const DIR = new URL("../../tests/testdata/weights/", import.meta.url).pathname;
type Expected = Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
const EXPECTED: Expected = JSON.parse(readFileSync(join(DIR, "tiny.expected.json"), "utf8"));

function values(t: Tensor): (number | string)[] {
  if (t.dtype === "int64") return Array.from(t.data as BigInt64Array, (v) => v.toString());
  if (t.dtype === "float16" || t.dtype === "bfloat16") return Array.from(toFloat32(t).data);
  return Array.from(t.data as ArrayLike<number>);
}

/** Builds a safetensors file from a header (object or raw string) and a data section. */
function make(header: unknown, data = new Uint8Array(0)): Uint8Array {
  const h = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function rejects(bytes: Uint8Array, pattern: RegExp) {
  throws(() => parseSafetensors(bytes, "bad.safetensors"), (e) => {
    ok(e instanceof UsageError, `expected UsageError, got ${e}`);
    ok(e.message.startsWith("bad.safetensors: "), e.message);
    ok(pattern.test(e.message), `${e.message} !~ ${pattern}`);
    return true;
  });
}

Deno.test("safetensors: python-written fixture has the values python wrote", () => {
  const st = readSafetensors(join(DIR, "tiny.safetensors"));
  deepStrictEqual(st.metadata, { format: "pt" });
  strictEqual(st.dataStart % 8, 0);
  deepStrictEqual([...st.tensors.keys()].sort(), Object.keys(EXPECTED).sort());
  for (const [key, want] of Object.entries(EXPECTED)) {
    const t = st.tensors.get(key)!;
    strictEqual(t.dtype, want.dtype, key);
    deepStrictEqual(t.shape, want.shape, key);
    deepStrictEqual(values(t), want.values, key);
  }
  const [begin, end] = st.offsets.get("i64")!;
  strictEqual(end - begin, 5 * 8);
});

Deno.test("safetensors: aligned tensors are views into the file bytes", () => {
  const bytes = readFileSync(join(DIR, "tiny.safetensors"));
  const st = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  for (const t of st.tensors.values()) strictEqual(t.data.buffer, bytes.buffer);
});

Deno.test("safetensors: our writer reproduces the python layout byte for byte", () => {
  const file = new Uint8Array(readFileSync(join(DIR, "tiny.safetensors")));
  const st = parseSafetensors(file);
  deepStrictEqual(serializeSafetensors(st.tensors, st.metadata), file);
});

Deno.test("safetensors: write then read round-trips; header padded with spaces", () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-st-"));
  try {
    const path = join(dir, "sub", "w.safetensors");
    writeSafetensors(path, {
      z: { dtype: "uint8", shape: [3], data: new Uint8Array([1, 2, 3]) },
      a: { dtype: "float32", shape: [2, 1], data: new Float32Array([0.5, -2]) },
      s: { dtype: "int64", shape: [], data: new BigInt64Array([-7n]) },
    }, { step: "3" });
    const raw = new Uint8Array(readFileSync(path));
    const n = Number(new DataView(raw.buffer).getBigUint64(0, true));
    strictEqual(n % 8, 0);
    ok(new TextDecoder().decode(raw.subarray(8, 8 + n)).startsWith('{"__metadata__":{"step":"3"},"s":'));
    const st = readSafetensors(path);
    deepStrictEqual([...st.offsets], [["s", [0, 8]], ["a", [8, 16]], ["z", [16, 19]]]);
    deepStrictEqual(Array.from(st.tensors.get("a")!.data as Float32Array), [0.5, -2]);
    deepStrictEqual(st.tensors.get("s")!.shape, []);
    deepStrictEqual(st.metadata, { step: "3" });
  } finally {
    rmSync(dir, { recursive: true });
  }
});

Deno.test("safetensors: a misaligned tensor is copied and still correct", () => {
  const data = new Uint8Array(5);
  data[0] = 9;
  new DataView(data.buffer).setFloat32(1, 1.5, true);
  const bytes = make({
    b: { dtype: "U8", shape: [1], data_offsets: [0, 1] },
    f: { dtype: "F32", shape: [1], data_offsets: [1, 5] },
  }, data);
  const st = parseSafetensors(bytes);
  deepStrictEqual(Array.from(st.tensors.get("f")!.data as Float32Array), [1.5]);
  strictEqual(st.tensors.get("b")!.data.buffer, bytes.buffer);
});

Deno.test("safetensors: malformed files are UsageErrors naming file and tensor", () => {
  const good = { w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
  rejects(new Uint8Array(5), /shorter than the 8-byte header length/);
  const file = make(good, new Uint8Array(8));
  rejects(file.subarray(0, 20), /header length \d+ is larger than the file/);
  rejects(file.subarray(0, file.length - 4), /tensor 'w': data_offsets \[0, 8\] run past the end/);
  rejects(make("{not json", new Uint8Array(0)), /header is not valid JSON/);
  rejects(make("[1,2]"), /header is not a JSON object/);
  rejects(
    make({ w: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
    /tensor 'w': unsupported dtype "F8_E4M3"/,
  );
  rejects(
    make({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)),
    /tensor 'w': .* needs 12/,
  );
  rejects(
    make({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 8] } }, new Uint8Array(8)),
    /tensor 'w': bad shape/,
  );
  rejects(
    make({ w: { dtype: "F32", shape: [2], data_offsets: [8, 0] } }, new Uint8Array(8)),
    /tensor 'w': bad data_offsets/,
  );
  rejects(make({ w: 3 }), /tensor 'w': entry is not an object/);
  rejects(
    make({
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      e: { dtype: "F32", shape: [0], data_offsets: [4, 4] },
      b: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
    }, new Uint8Array(8)),
    /tensor 'b' overlaps tensor 'a'/,
  );
  rejects(make({ __metadata__: { a: 1 } }), /__metadata__ value 'a' is not a string/);
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
  rejects(huge, /header length 9223372036854775808 is larger than the file/);
});

Deno.test("safetensors: writer rejects a tensor whose data do not match its shape", () => {
  throws(
    () => serializeSafetensors({ x: { dtype: "float32", shape: [3], data: new Float32Array(2) } }),
    (e) => e instanceof UsageError && /tensor 'x': shape \[3\] needs 3 elements, has 2/.test(e.message),
  );
});

Deno.test("safetensors: empty file list writes the crate's empty header", () => {
  deepStrictEqual(Array.from(serializeSafetensors(new Map())), [
    8,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    123,
    125,
    32,
    32,
    32,
    32,
    32,
    32,
  ]);
});
