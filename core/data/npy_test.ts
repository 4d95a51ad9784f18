import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { type Tensor, tensor } from "../tensor.ts";
import { decodeNpy, encodeNpy, readNpy, writeNpy } from "./npy.ts";
import { findPython, runPython } from "./_testutil.ts";

const py = findPython(["numpy"]);

function samples(): Tensor[] {
  return [
    tensor("float32", [2, 3], new Float32Array([0, 1.5, -2, 3.25, Infinity, -0])),
    tensor("float64", [3], new Float64Array([Math.PI, -1e300, 5e-324])),
    tensor("float16", [2], new Uint16Array([0x3c00, 0xc000])), // 1, -2
    tensor("int64", [1, 1, 3], new BigInt64Array([5n, -7n, 9007199254740993n])),
    tensor("int32", [2, 2], new Int32Array([1, -2, 2147483647, -2147483648])),
    tensor("int16", [2], new Int16Array([-32768, 32767])),
    tensor("int8", [3], new Int8Array([-128, 0, 127])),
    tensor("uint8", [2, 1, 2], new Uint8Array([0, 1, 254, 255])),
    tensor("bool", [4], new Uint8Array([1, 0, 0, 1])),
    tensor("float32", [], new Float32Array([42])),
    tensor("int64", [0, 5], new BigInt64Array(0)),
  ];
}

/** Builds a .npy file by hand from a header dict text. */
function handmade(dict: string, data: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - prefix - 1) + "\n";
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const v = new DataView(out.buffer);
  if (major === 1) v.setUint16(8, header.length, true);
  else v.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), prefix);
  out.set(data, total);
  return out;
}

Deno.test("npy: encode/decode round trip for every dtype, header aligned to 64", () => {
  for (const t of samples()) {
    const bytes = encodeNpy(t);
    const headerLen = new DataView(bytes.buffer).getUint16(8, true);
    assert.equal((10 + headerLen) % 64, 0);
    assert.equal(bytes[10 + headerLen - 1], 0x0a);
    const back = decodeNpy(bytes);
    assert.deepEqual(back, t);
  }
});

Deno.test("npy: writeNpy is atomic and readNpy reads it back", () => {
  const dir = mkdtempSync(join(tmpdir(), "npy-"));
  try {
    const t = samples()[3];
    writeNpy(join(dir, "sub", "t.npy"), t);
    assert.deepEqual(readNpy(join(dir, "sub", "t.npy")), t);
    assert.deepEqual(readNpy(readFileSync(join(dir, "sub", "t.npy"))), t);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

Deno.test("npy: reads format 2.0 and 3.0 headers, big-endian data and Python 2 long shapes", () => {
  const le = new Uint8Array(new Float32Array([1, 2]).buffer);
  const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  assert.deepEqual(decodeNpy(handmade(dict, le, 2)).data, new Float32Array([1, 2]));
  assert.deepEqual(decodeNpy(handmade(dict, le, 3)).data, new Float32Array([1, 2]));
  const be = new Uint8Array([0x00, 0x01, 0xff, 0xfe]);
  const t = decodeNpy(handmade("{'descr': '>i2', 'fortran_order': False, 'shape': (2L,), }", be));
  assert.deepEqual(t.data, new Int16Array([1, -2]));
});

Deno.test("npy: bad inputs are UsageErrors naming the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "npy-"));
  const good = encodeNpy(samples()[0]);
  const cases: [string, Uint8Array, RegExp][] = [
    ["empty.npy", new Uint8Array(0), /truncated/],
    ["magic.npy", new TextEncoder().encode("PK\x03\x04 this is a zip, not npy"), /bad magic/],
    ["short-header.npy", good.subarray(0, 40), /truncated header/],
    ["short-data.npy", good.subarray(0, good.length - 1), /data size mismatch/],
    ["long-data.npy", new Uint8Array([...good, 0]), /data size mismatch/],
    ["version.npy", good.map((b, i) => (i === 6 ? 9 : b)), /version 9/],
    [
      "fortran.npy",
      handmade("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2), }", new Uint8Array(8)),
      /Fortran/,
    ],
    [
      "u2.npy",
      handmade("{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(2)),
      /not supported/,
    ],
    [
      "struct.npy",
      handmade("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)),
      /descr/,
    ],
    [
      "shape.npy",
      handmade("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", new Uint8Array(4)),
      /shape/,
    ],
  ];
  try {
    for (const [name, bytes, why] of cases) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      assert.throws(() => readNpy(path), (e: Error) => {
        assert.ok(e instanceof UsageError, `${name}: ${e}`);
        assert.ok(e.message.includes(path), e.message);
        assert.match(e.message, why);
        return true;
      });
    }
    assert.throws(() => readNpy(join(dir, "missing.npy")), /missing\.npy: cannot read/);
    assert.throws(() => encodeNpy(tensor("bfloat16", [1], new Uint16Array(1))), UsageError);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

Deno.test({
  name: "npy: files load in numpy and numpy's files load here (skipped without python3+numpy)",
  ignore: !py,
  fn() {
    const dir = mkdtempSync(join(tmpdir(), "npy-"));
    try {
      const ts = samples();
      ts.forEach((t, i) => writeNpy(join(dir, `ts${i}.npy`), t));
      // numpy loads ours, checks dtype/shape, then re-saves them in its own writer.
      const out = new TextDecoder().decode(runPython(
        py!,
        `import sys, glob, numpy as np
for i in range(${ts.length}):
    a = np.load(f"{sys.argv[1]}/ts{i}.npy")
    print(a.dtype.str, a.shape, a.flags.c_contiguous)
    np.save(f"{sys.argv[1]}/np{i}.npy", a)
np.save(f"{sys.argv[1]}/big.npy", np.arange(12, dtype=">f8").reshape(3, 4))`,
        [dir],
      ));
      const lines = out.trim().split("\n");
      assert.deepEqual(lines.map((l) => l.split(" ")[0]), [
        "<f4",
        "<f8",
        "<f2",
        "<i8",
        "<i4",
        "<i2",
        "|i1",
        "|u1",
        "|b1",
        "<f4",
        "<i8",
      ]);
      ts.forEach((t, i) => assert.deepEqual(readNpy(join(dir, `np${i}.npy`)), t));
      assert.deepEqual(readNpy(join(dir, "big.npy")).data, Float64Array.from({ length: 12 }, (_, i) => i));
    } finally {
      rmSync(dir, { recursive: true });
    }
  },
});

Deno.test("npy: a header past the npyHeaderBytes budget is refused before it is read", () => {
  const bytes = new Uint8Array(16);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
  new DataView(bytes.buffer).setUint32(8, 0xfffffff0, true);
  assert.throws(
    () => decodeNpy(bytes, "h.npy"),
    (e) => e instanceof UsageError && /h\.npy: .*npyHeaderBytes budget/.test(e.message),
  );
});
