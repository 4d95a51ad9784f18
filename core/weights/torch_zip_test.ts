import { deepStrictEqual, ok, strictEqual, throws } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync, zipSync } from "fflate";
import { UsageError } from "../errors.ts";
import { type Tensor, toFloat32 } from "../tensor.ts";
import { readSafetensors } from "./safetensors.ts";
import { parseTorchCheckpoint, readTorchCheckpoint, rebuildTensor, TorchStorage } from "./torch_zip.ts";

const DIR = new URL("../../tests/testdata/weights/", import.meta.url).pathname;
type Expected = Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
const EXPECTED: Expected = JSON.parse(readFileSync(join(DIR, "tiny.expected.json"), "utf8"));

function values(t: Tensor): (number | string)[] {
  if (t.dtype === "int64") return Array.from(t.data as BigInt64Array, (v) => v.toString());
  if (t.dtype === "float16" || t.dtype === "bfloat16") return Array.from(toFloat32(t).data);
  return Array.from(t.data as ArrayLike<number>);
}

function usage(fn: () => unknown, pattern: RegExp) {
  throws(fn, (e) => {
    ok(e instanceof UsageError, `expected UsageError, got ${e}`);
    ok(pattern.test(e.message), e.message);
    return true;
  });
}

Deno.test("torch_zip: tiny.bin has the values python wrote (all dtypes, views, transposes)", () => {
  const { tensors, extra } = readTorchCheckpoint(join(DIR, "tiny.bin"));
  deepStrictEqual([...tensors.keys()], Object.keys(EXPECTED));
  for (const [key, want] of Object.entries(EXPECTED)) {
    const t = tensors.get(key)!;
    strictEqual(t.dtype, want.dtype, key);
    deepStrictEqual(t.shape, want.shape, key);
    deepStrictEqual(values(t), want.values, key);
  }
  strictEqual(extra.size, 0);
});

Deno.test("torch_zip: contiguous tensors are views; views of one storage share memory", () => {
  const b = readFileSync(join(DIR, "tiny.bin"));
  const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const { tensors } = parseTorchCheckpoint(bytes, "tiny.bin");
  const base = tensors.get("view_base")!, row = tensors.get("row")!;
  strictEqual(base.data.buffer, bytes.buffer);
  strictEqual(row.data.buffer, bytes.buffer);
  strictEqual(row.data.byteOffset, base.data.byteOffset + 10 * 4); // storage_offset 10
  ok(tensors.get("transposed")!.data.buffer !== bytes.buffer); // gathered
});

Deno.test("torch_zip: tiny.bin and the python-written tiny.safetensors agree", () => {
  const pt = readTorchCheckpoint(join(DIR, "tiny.bin")).tensors;
  const st = readSafetensors(join(DIR, "tiny.safetensors")).tensors;
  strictEqual(pt.size, st.size);
  for (const [key, t] of pt) {
    const s = st.get(key)!;
    deepStrictEqual([s.dtype, s.shape], [t.dtype, t.shape], key);
    deepStrictEqual(Array.from(s.data as ArrayLike<unknown>), Array.from(t.data as ArrayLike<unknown>), key);
  }
});

Deno.test("torch_zip: nested training checkpoint: state_dict chosen, extra kept, select", () => {
  const path = join(DIR, "nested.ckpt");
  const { tensors, extra } = readTorchCheckpoint(path);
  deepStrictEqual([...tensors.keys()], ["encoder.weight", "encoder.bias", "decoder.weight"]);
  deepStrictEqual(Array.from(tensors.get("encoder.weight")!.data as Float32Array), [0, 1, 2, 3]);
  deepStrictEqual([...extra.keys()], ["epoch", "lr", "name", "blob", "tags", "best", "ema"]);
  strictEqual(extra.get("epoch"), 7);
  strictEqual(extra.get("best"), 0.25);
  const ema = readTorchCheckpoint(path, { select: "ema" });
  deepStrictEqual([...ema.tensors.keys()], ["encoder.weight", "decoder.weight"]);
  deepStrictEqual(Array.from(ema.tensors.get("encoder.weight")!.data as Float32Array), [1, 1, 1, 1]);
  ok(ema.extra.has("state_dict"));
  const whole = readTorchCheckpoint(path, { select: "" });
  ok(whole.tensors.has("state_dict.encoder.weight") && whole.tensors.has("ema.decoder.weight"));
  usage(
    () => readTorchCheckpoint(path, { select: "model" }),
    /no nested state dict 'model' \(dict entries: state_dict, ema\)/,
  );
});

Deno.test("torch_zip: protocol-4 checkpoint", () => {
  const { tensors } = readTorchCheckpoint(join(DIR, "proto4.pt"));
  deepStrictEqual(tensors.get("a"), { dtype: "int32", shape: [3], data: tensors.get("a")!.data });
  deepStrictEqual(Array.from(tensors.get("a")!.data as Int32Array), [0, 1, 2]);
  deepStrictEqual(Array.from(tensors.get("b")!.data as Float32Array), [1, 0, 0, 1]);
});

Deno.test("torch_zip: legacy format, malicious pickles and non-checkpoints are UsageErrors", () => {
  usage(
    () => readTorchCheckpoint(join(DIR, "legacy.pt")),
    /legacy\.pt uses the legacy \(pre-1\.6, non-zip\) torch serialization.*torch>=1\.6.*_use_new_zipfile_serialization=True/,
  );
  usage(
    () => readTorchCheckpoint(join(DIR, "malicious_os.pt")),
    /forbidden global 'os\.system' in .*malicious_os\.pt/,
  );
  usage(
    () => readTorchCheckpoint(join(DIR, "malicious_eval.pt")),
    /forbidden global 'builtins\.eval' in .*malicious_eval\.pt/,
  );
  usage(() => readTorchCheckpoint(join(DIR, "tiny.safetensors")), /is not a torch checkpoint/);
  usage(() => readTorchCheckpoint(join(DIR, "nope.pt")), /checkpoint not found: .*nope\.pt/);
  usage(
    () => parseTorchCheckpoint(zipSync({ "x/y.txt": new Uint8Array(1) }), "z.pt"),
    /without <archive>\/data\.pkl/,
  );
});

Deno.test("torch_zip: missing or short storages, re-zipped (deflated) archives", () => {
  const files = unzipSync(new Uint8Array(readFileSync(join(DIR, "proto4.pt"))));
  deepStrictEqual(Object.keys(files).sort(), [
    "proto4/data.pkl",
    "proto4/data/0",
    "proto4/data/1",
    "proto4/version",
  ]);
  const deflated = zipSync(files, { level: 6 });
  deepStrictEqual(Array.from(parseTorchCheckpoint(deflated).tensors.get("b")!.data as Float32Array), [
    1,
    0,
    0,
    1,
  ]);
  const { "proto4/data/1": _, ...missing } = files;
  usage(
    () => parseTorchCheckpoint(zipSync(missing), "m.pt"),
    /m\.pt: storage '1' is missing \(proto4\/data\/1\)/,
  );
  const short = { ...files, "proto4/data/1": files["proto4/data/1"].subarray(0, 8) };
  usage(() => parseTorchCheckpoint(zipSync(short), "s.pt"), /storage '1' has 8 bytes, 16 expected/);
});

Deno.test("rebuildTensor: strides, offsets and bounds", () => {
  const s = new TorchStorage("7", "float32", Float32Array.from({ length: 24 }, (_, i) => i));
  deepStrictEqual(Array.from(rebuildTensor(s, 0, [3, 2], [1, 3]).data as Float32Array), [0, 3, 1, 4, 2, 5]);
  const t = rebuildTensor(s, 1, [2, 2, 2], [12, 1, 4]); // a permuted 3-D view
  deepStrictEqual(Array.from(t.data as Float32Array), [1, 5, 2, 6, 13, 17, 14, 18]);
  const v = rebuildTensor(s, 4, [1, 4], [99, 1]); // size-1 dims ignore their stride
  strictEqual(v.data.buffer, s.data.buffer);
  deepStrictEqual(rebuildTensor(s, 0, [], []).shape, []);
  strictEqual(rebuildTensor(s, 99, [0, 5], [5, 1]).data.length, 0);
  const i64 = new TorchStorage("8", "int64", new BigInt64Array([1n, 2n, 3n, 4n]));
  deepStrictEqual(Array.from(rebuildTensor(i64, 0, [2, 2], [1, 2]).data as BigInt64Array), [1n, 3n, 2n, 4n]);
  usage(
    () => rebuildTensor(s, 0, [5, 5], [5, 1], "x.pt"),
    /x\.pt: storage '7': .* reaches element 24 of a storage of 24/,
  );
  usage(() => rebuildTensor(s, -1, [1], [1]), /bad storage offset -1/);
  usage(() => rebuildTensor(s, 0, [2], [1, 1]), /bad stride/);
  usage(() => rebuildTensor(s, 0, [2.5], [1]), /bad tensor size/);
  deepStrictEqual(Array.from(rebuildTensor(s, 2, [2, 3], [0, 1]).data as Float32Array), [2, 3, 4, 2, 3, 4]); // expand
  usage(
    () => rebuildTensor(s, 0, [2 ** 20, 2 ** 20], [0, 0], "x.pt"),
    /x\.pt: storage '7' \(96 bytes\) expanded by stride \[0,0\] .* exceeds the expandBytes budget/,
  );
  strictEqual(rebuildTensor(s, 0, [1024, 1024], [0, 0]).data.length, 2 ** 20); // 4 MiB expand: within budget
  usage(() => rebuildTensor(s, 0, [2n ** 70n], [1]), /bad tensor size \[1180591620717411303424\]/); // issue 12
});
