import { deepStrictEqual, ok, strictEqual, throws } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { BUDGETS } from "../budgets.ts";
import { PyGlobal, PyObject, unpickle } from "./pickle.ts";
import { readZip, zipEntryData } from "./zip.ts";

const DIR = new URL("../../tests/testdata/weights/", import.meta.url).pathname;
const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** data.pkl of a fixture checkpoint. */
function dataPkl(name: string): Uint8Array {
  const b = readFileSync(join(DIR, name));
  const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const entries = readZip(bytes, name);
  const entry = [...entries.values()].find((e) => e.name.endsWith("/data.pkl"))!;
  return zipEntryData(bytes, entry, name);
}

function usage(fn: () => unknown, pattern: RegExp) {
  throws(fn, (e) => {
    ok(e instanceof UsageError, `expected UsageError, got ${e}`);
    ok(pattern.test(e.message), e.message);
    return true;
  });
}

// python3: pickle.dumps(V, protocol=p) for
// V = {"i": [0, 255, 65535, -1, 2**31-1, 2**40, -2**70], "f": 1.5, "s": "h\u00e9llo", "b": b"\x01\x02",
//      "t": (1,), "t2": (1, 2), "t3": (1, 2, 3), "t4": (1, 2, 3, 4), "n": None, "bool": [True, False],
//      "set": {1}, "fs": frozenset([2]), 7: "int key"}
const VALUES: Record<number, string> = {
  2: "gAJ9cQAoWAEAAABpcQFdcQIoSwBL/03//0r/////Sv///3+KBgAAAAAAAYoJAAAAAAAAAADAZVgBAAAAZnEDRz/4AAAAAAAAWAEAAABzcQRYBgAAAGjDqWxsb3EFWAEAAABicQZjX2NvZGVjcwplbmNvZGUKcQdYAgAAAAECcQhYBgAAAGxhdGluMXEJhnEKUnELWAEAAAB0cQxLAYVxDVgCAAAAdDJxDksBSwKGcQ9YAgAAAHQzcRBLAUsCSwOHcRFYAgAAAHQ0cRIoSwFLAksDSwR0cRNYAQAAAG5xFE5YBAAAAGJvb2xxFV1xFiiIiWVYAwAAAHNldHEXY19fYnVpbHRpbl9fCnNldApxGF1xGUsBYYVxGlJxG1gCAAAAZnNxHGNfX2J1aWx0aW5fXwpmcm96ZW5zZXQKcR1dcR5LAmGFcR9ScSBLB1gHAAAAaW50IGtleXEhdS4=",
  3: "gAN9cQAoWAEAAABpcQFdcQIoSwBL/03//0r/////Sv///3+KBgAAAAAAAYoJAAAAAAAAAADAZVgBAAAAZnEDRz/4AAAAAAAAWAEAAABzcQRYBgAAAGjDqWxsb3EFWAEAAABicQZDAgECcQdYAQAAAHRxCEsBhXEJWAIAAAB0MnEKSwFLAoZxC1gCAAAAdDNxDEsBSwJLA4dxDVgCAAAAdDRxDihLAUsCSwNLBHRxD1gBAAAAbnEQTlgEAAAAYm9vbHERXXESKIiJZVgDAAAAc2V0cRNjYnVpbHRpbnMKc2V0CnEUXXEVSwFhhXEWUnEXWAIAAABmc3EYY2J1aWx0aW5zCmZyb3plbnNldApxGV1xGksCYYVxG1JxHEsHWAcAAABpbnQga2V5cR11Lg==",
  4: "gASVuAAAAAAAAAB9lCiMAWmUXZQoSwBL/03//0r/////Sv///3+KBgAAAAAAAYoJAAAAAAAAAADAZYwBZpRHP/gAAAAAAACMAXOUjAZow6lsbG+UjAFilEMCAQKUjAF0lEsBhZSMAnQylEsBSwKGlIwCdDOUSwFLAksDh5SMAnQ0lChLAUsCSwNLBHSUjAFulE6MBGJvb2yUXZQoiIlljANzZXSUj5QoSwGQjAJmc5QoSwKRlEsHjAdpbnQga2V5lHUu",
  5: "gAWVuAAAAAAAAAB9lCiMAWmUXZQoSwBL/03//0r/////Sv///3+KBgAAAAAAAYoJAAAAAAAAAADAZYwBZpRHP/gAAAAAAACMAXOUjAZow6lsbG+UjAFilEMCAQKUjAF0lEsBhZSMAnQylEsBSwKGlIwCdDOUSwFLAksDh5SMAnQ0lChLAUsCSwNLBHSUjAFulE6MBGJvb2yUXZQoiIlljANzZXSUj5QoSwGQjAJmc5QoSwKRlEsHjAdpbnQga2V5lHUu",
};

Deno.test("pickle: plain values in protocols 2-5", () => {
  for (const [proto, data] of Object.entries(VALUES)) {
    const v = unpickle(b64(data)) as Map<unknown, unknown>;
    ok(v instanceof Map, `protocol ${proto}`);
    deepStrictEqual(v.get("i"), [0, 255, 65535, -1, 2 ** 31 - 1, 2 ** 40, -(2n ** 70n)]);
    strictEqual(v.get("f"), 1.5);
    strictEqual(v.get("s"), "h\u00e9llo");
    deepStrictEqual(v.get("b"), new Uint8Array([1, 2]));
    deepStrictEqual([v.get("t"), v.get("t2"), v.get("t3"), v.get("t4")], [[1], [1, 2], [1, 2, 3], [
      1,
      2,
      3,
      4,
    ]]);
    strictEqual(v.get("n"), null);
    deepStrictEqual(v.get("bool"), [true, false]);
    deepStrictEqual(v.get("set"), new Set([1]));
    deepStrictEqual(v.get("fs"), new Set([2]));
    strictEqual(v.get(7), "int key");
  }
});

Deno.test("pickle: memo shares objects; BYTEARRAY8; protocol-0 INT", () => {
  const shared = unpickle(b64("gAJdcQAoXXEBSwFhaAFlLg==")) as unknown[][]; // [s, s] with s = [1]
  strictEqual(shared[0], shared[1]);
  deepStrictEqual(unpickle(b64("gAWVDQAAAAAAAACWAgAAAAAAAAB4eZQu")), new Uint8Array([0x78, 0x79]));
  strictEqual(unpickle(b64("STAxCi4=")), true);
});

Deno.test("pickle: torch.save's data.pkl with hooks for storages and tensors", () => {
  const pids: unknown[] = [];
  const calls: string[] = [];
  const v = unpickle(dataPkl("nested.ckpt"), {
    source: "nested.ckpt",
    persistentLoad: (pid) => (pids.push(pid), { storage: (pid as unknown[])[2] }),
    reduce: (fn, args) => {
      calls.push(fn.qualified);
      return fn.name === "_rebuild_tensor_v2" ? { tensorOf: args[0], size: args[2] } : undefined;
    },
  }) as Map<string, unknown>;
  strictEqual(v.get("epoch"), 7);
  strictEqual(v.get("lr"), 0.5);
  strictEqual(v.get("name"), "tiny");
  deepStrictEqual(v.get("blob"), new Uint8Array([0, 255]));
  deepStrictEqual(v.get("tags"), new Set(["a"]));
  strictEqual(v.get("best"), 0.25); // numpy.float64 scalar
  const sd = v.get("state_dict") as Map<string, unknown>;
  deepStrictEqual((sd.get("encoder") as Map<string, unknown>).get("weight"), {
    tensorOf: { storage: "0" },
    size: [2, 2],
  });
  strictEqual(pids.length, 5);
  const pid = pids[0] as unknown[];
  strictEqual(pid[0], "storage");
  ok(pid[1] instanceof PyGlobal && pid[1].qualified === "torch.FloatStorage");
  deepStrictEqual(pid.slice(2), ["0", "cpu", 4]);
  ok(calls.includes("collections.OrderedDict"));
});

Deno.test("pickle: protocol 4 checkpoint (FRAME, STACK_GLOBAL, MEMOIZE)", () => {
  const v = unpickle(dataPkl("proto4.pt"), { persistentLoad: (pid) => pid }) as Map<string, unknown>;
  deepStrictEqual([...v.keys()], ["a", "b"]);
  const a = v.get("a") as PyObject;
  ok(a instanceof PyObject);
  strictEqual(a.cls.qualified, "torch._utils._rebuild_tensor_v2");
  deepStrictEqual(a.args.slice(1, 4), [0, [3], [1]]);
});

Deno.test("pickle: forbidden globals are UsageErrors naming the global and the file", () => {
  usage(
    () => unpickle(dataPkl("malicious_os.pt"), { source: "malicious_os.pt" }),
    /forbidden global 'os\.system' in malicious_os\.pt/,
  );
  usage(
    () => unpickle(dataPkl("malicious_eval.pt"), { source: "m.pt" }),
    /forbidden global 'builtins\.eval' in m\.pt/,
  );
  const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  usage(
    () => unpickle(latin1("\x80\x02cposix\nsystem\n.")),
    /forbidden global 'posix\.system' in <bytes>/,
  );
  usage(() => unpickle(latin1("\x80\x02ctorch\nload\n.")), /forbidden global 'torch\.load'/);
});

Deno.test("pickle: every truncation of a checkpoint pickle is a UsageError", () => {
  const pkl = dataPkl("nested.ckpt");
  for (let n = 0; n < pkl.length; n++) {
    usage(() => unpickle(pkl.subarray(0, n), { source: "cut.pkl", persistentLoad: (p) => p }), /^cut\.pkl: /);
  }
  usage(
    () => unpickle(pkl.subarray(0, 100), { persistentLoad: (p) => p }),
    /truncated pickle: opcode 0x58 at byte 99/,
  );
});

Deno.test("pickle: malformed input never escapes as a non-UsageError", () => {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const ops = [
    0x80,
    0x28,
    0x5d,
    0x7d,
    0x29,
    0x4b,
    0x71,
    0x68,
    0x61,
    0x73,
    0x75,
    0x74,
    0x86,
    0x52,
    0x62,
    0x2e,
    0x8a,
    0x58,
  ];
  for (let i = 0; i < 2000; i++) {
    const bytes = Uint8Array.from({ length: 1 + Math.floor(rand() * 40) }, () => {
      return rand() < 0.7 ? ops[Math.floor(rand() * ops.length)] : Math.floor(rand() * 256);
    });
    try {
      unpickle(bytes, { persistentLoad: (p) => p });
    } catch (e) {
      ok(e instanceof UsageError, `${e} for ${bytes}`);
    }
  }
  usage(() => unpickle(new Uint8Array([0x80, 0x02, 0xff])), /unsupported pickle opcode 0xff at byte 2/);
  usage(() => unpickle(new Uint8Array([0x68, 0x05, 0x2e])), /memo entry 5 missing/);
  usage(() => unpickle(new Uint8Array([0x2e])), /stack underflow/);
  usage(() => unpickle(new Uint8Array([0x4e, 0x51, 0x2e])), /no loader/);
  usage(() => unpickle(new Uint8Array([0x8d, 255, 255, 255, 255, 255, 255, 255, 255])), /truncated pickle/);
});

Deno.test("pickle: budgets (integer size, stack, memo) are UsageErrors naming the budget", () => {
  const long4 = (n: number) => {
    const b = new Uint8Array(2 + 5 + n + 1);
    b.set([0x80, 0x02, 0x8b]);
    new DataView(b.buffer).setUint32(3, n, true);
    b[b.length - 1] = 0x2e;
    return b;
  };
  strictEqual(unpickle(long4(8)), 0);
  const t = performance.now();
  usage(
    () => unpickle(long4(4 << 20), { source: "big.pth" }),
    /big\.pth: .*4194304 bytes.* pickleIntBytes budget/,
  );
  ok(performance.now() - t < 500);
  const dups = new Uint8Array(2 + 1 + BUDGETS.pickleStack + 1).fill(0x32); // NONE, then DUP × 4M
  dups.set([0x80, 0x02, 0x4e]);
  usage(() => unpickle(dups, { source: "s.pth" }), /s\.pth: .*pickleStack budget/);
  const memo = new Uint8Array(3 + 5 * BUDGETS.pickleMemo + 1);
  memo.set([0x80, 0x02, 0x4e]);
  for (let i = 0; i < BUDGETS.pickleMemo; i++) {
    memo[3 + 5 * i] = 0x72; // LONG_BINPUT i
    new DataView(memo.buffer).setUint32(4 + 5 * i, i, true);
  }
  memo[memo.length - 1] = 0x2e;
  strictEqual(unpickle(memo), null);
  memo[memo.length - 1] = 0x94; // MEMOIZE: one more entry
  usage(() => unpickle(memo, { source: "m.pth" }), /m\.pth: .*pickleMemo budget/);
});
