import { deepStrictEqual, ok, strictEqual, throws } from "node:assert";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { assertKeys, compareKeys, loadCheckpoint } from "./checkpoint.ts";
import { writeSafetensors } from "./safetensors.ts";

const DIR = new URL("../../tests/testdata/weights/", import.meta.url).pathname;
const t = (shape: number[], fill = 1): Tensor => ({
  dtype: "float32",
  shape,
  data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill),
});

function usage(fn: () => unknown, pattern: RegExp) {
  throws(fn, (e) => {
    ok(e instanceof UsageError, `expected UsageError, got ${e}`);
    ok(pattern.test(e.message), e.message);
    return true;
  });
}

function withTmp(fn: (dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-ckpt-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

Deno.test("loadCheckpoint: snapshot folder with config.json + model.safetensors", () => {
  withTmp((dir) => {
    writeFileSync(join(dir, "config.json"), JSON.stringify({ hidden_size: 8 }));
    writeSafetensors(join(dir, "model.safetensors"), { "a.weight": t([2, 2], 3) });
    const ckpt = loadCheckpoint(dir);
    deepStrictEqual(ckpt.config, { hidden_size: 8 });
    strictEqual(ckpt.source, join(dir, "model.safetensors"));
    deepStrictEqual(ckpt.tensors.get("a.weight"), t([2, 2], 3));
  });
});

Deno.test("loadCheckpoint: snapshot folder with pytorch_model.bin", () => {
  withTmp((dir) => {
    writeFileSync(join(dir, "config.json"), "{}");
    copyFileSync(join(DIR, "tiny.bin"), join(dir, "pytorch_model.bin"));
    const ckpt = loadCheckpoint(dir);
    deepStrictEqual(ckpt.config, {});
    ok(ckpt.tensors.has("0.weight") && ckpt.tensors.has("transposed"));
    strictEqual(ckpt.extra?.size, 0);
  });
});

Deno.test("loadCheckpoint: sharded safetensors index", () => {
  withTmp((dir) => {
    writeSafetensors(join(dir, "model-00001-of-00002.safetensors"), { a: t([1], 1), b: t([2], 2) });
    writeSafetensors(join(dir, "model-00002-of-00002.safetensors"), { c: t([3], 3) });
    const weight_map = { a: "model-00001-of-00002.safetensors", b: "model-00001-of-00002.safetensors" };
    const index = join(dir, "model.safetensors.index.json");
    writeFileSync(
      index,
      JSON.stringify({ weight_map: { ...weight_map, c: "model-00002-of-00002.safetensors" } }),
    );
    const ckpt = loadCheckpoint(dir);
    deepStrictEqual([...ckpt.tensors.keys()].sort(), ["a", "b", "c"]);
    strictEqual(ckpt.config, undefined);
    deepStrictEqual(loadCheckpoint(index).tensors.get("c"), t([3], 3));
    writeFileSync(
      index,
      JSON.stringify({ weight_map: { ...weight_map, c: "model-00001-of-00002.safetensors" } }),
    );
    usage(() => loadCheckpoint(dir), /shard .*model-00001-of-00002\.safetensors lacks 'c'/);
    writeFileSync(index, JSON.stringify({ weight_map: { a: "gone.safetensors" } }));
    usage(() => loadCheckpoint(dir), /shard .*gone\.safetensors listed in .*index\.json not found/);
    writeFileSync(index, JSON.stringify({ weight_map: { a: "../x.safetensors" } }));
    usage(() => loadCheckpoint(dir), /key 'a' names a bad shard file "\.\.\/x\.safetensors"/);
    writeFileSync(index, JSON.stringify({ metadata: {} }));
    usage(() => loadCheckpoint(dir), /has no "weight_map" object/);
  });
});

Deno.test("loadCheckpoint: single files by extension", () => {
  strictEqual(loadCheckpoint(join(DIR, "tiny.safetensors")).tensors.size, 21);
  strictEqual(loadCheckpoint(join(DIR, "tiny.bin")).tensors.size, 21);
  const ema = loadCheckpoint(join(DIR, "nested.ckpt"), { select: "ema" });
  deepStrictEqual([...ema.tensors.keys()], ["encoder.weight", "decoder.weight"]);
  strictEqual(ema.extra?.get("epoch"), 7);
  usage(
    () => loadCheckpoint(join(DIR, "README.md")),
    /unsupported checkpoint file .*README\.md: expected \.safetensors/,
  );
  // The legacy (pre-1.6, non-zip) format: torch.save(..., _use_new_zipfile_serialization=False).
  const legacy = loadCheckpoint(join(DIR, "legacy.pt")).tensors;
  deepStrictEqual([...legacy.keys()], ["w"]);
  deepStrictEqual([...legacy.get("w")!.data], [1, 1]);
});

Deno.test("loadCheckpoint: missing paths and empty folders name what was looked for", () => {
  withTmp((dir) => {
    usage(
      () => loadCheckpoint(join(dir, "nope")),
      /checkpoint not found: .*nope \(expected a snapshot folder with config\.json and model\.safetensors/,
    );
    mkdirSync(join(dir, "empty"));
    usage(
      () => loadCheckpoint(join(dir, "empty")),
      /no weights in folder .*empty: looked for model\.safetensors, model\.safetensors\.index\.json, pytorch_model\.bin/,
    );
    writeFileSync(join(dir, "empty", "config.json"), "{oops");
    writeSafetensors(join(dir, "empty", "model.safetensors"), {});
    usage(() => loadCheckpoint(join(dir, "empty")), /config .*config\.json is not valid JSON/);
  });
});

Deno.test("compareKeys: missing, unexpected, misshaped; allowUnexpected", () => {
  const expected = new Map([["a", [2]], ["b", [3, 4]], ["c", []]]);
  const got = new Map([["a", t([2])], ["b", t([4, 3])], ["x", t([1])], ["loss.w", t([1])]]);
  deepStrictEqual(compareKeys(expected, got, { allowUnexpected: (k) => k.startsWith("loss.") }), {
    missing: [{ key: "c", shape: [] }],
    unexpected: [{ key: "x", shape: [1] }],
    misshaped: [{ key: "b", expected: [3, 4], got: [4, 3] }],
  });
  assertKeys(new Map([["a", [2]]]), new Map([["a", t([2])]]));
});

Deno.test("assertKeys: message lists counts and the first five of each with shapes", () => {
  const expected = new Map<string, number[]>([
    ["encoder.ln_pre.weight", [64]],
    ["encoder.ln_pre.bias", [64]],
    ["pos", [1, 2, 3]],
    ["w", [2]],
  ]);
  const got = new Map([
    ["w", t([3])],
    ...Array.from({ length: 7 }, (_, i) => [`extra.${i}`, t([i])] as const),
  ]);
  usage(
    () => assertKeys(expected, got, { source: "model.bin" }),
    new RegExp(
      "^checkpoint model\\.bin does not match the model: " +
        "missing 3 keys \\(e\\.g\\. encoder\\.ln_pre\\.weight \\[64\\], encoder\\.ln_pre\\.bias \\[64\\], pos \\[1, 2, 3\\]\\); " +
        "unexpected 7 keys \\(e\\.g\\. extra\\.0 \\[0\\], extra\\.1 \\[1\\], extra\\.2 \\[2\\], extra\\.3 \\[3\\], extra\\.4 \\[4\\], \\.\\.\\.\\); " +
        "misshaped 1 key \\(e\\.g\\. w \\[3\\] in the checkpoint, \\[2\\] in the model\\)$",
    ),
  );
  usage(
    () => assertKeys(new Map([["a", [1]]]), new Map()),
    /^checkpoint does not match the model: missing 1 key \(e\.g\. a \[1\]\)$/,
  );
});
