import { deepStrictEqual, strictEqual } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as weights from "./mod.ts";

Deno.test("mod: the public API is exported", () => {
  for (
    const name of [
      "loadCheckpoint",
      "compareKeys",
      "assertKeys",
      "parseSafetensors",
      "readSafetensors",
      "writeSafetensors",
      "serializeSafetensors",
      "readTorchCheckpoint",
      "parseTorchCheckpoint",
      "unpickleTorch",
      "rebuildTensor",
      "selectStateDict",
      "flattenStateDict",
      "isTensor",
      "unpickle",
      "readZip",
      "zipEntryData",
      "viewAs",
    ]
  ) {
    strictEqual(typeof (weights as Record<string, unknown>)[name], "function", name);
  }
});

Deno.test("mod: torch checkpoint -> safetensors -> loadCheckpoint round trip", () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-mod-"));
  try {
    const src = new URL("../../tests/testdata/weights/tiny.bin", import.meta.url).pathname;
    const { tensors } = weights.loadCheckpoint(src);
    weights.writeSafetensors(join(dir, "model.safetensors"), tensors);
    const back = weights.loadCheckpoint(dir).tensors;
    const shapes = new Map([...tensors].map(([k, t]) => [k, t.shape]));
    weights.assertKeys(shapes, back);
    for (const [k, t] of tensors) {
      deepStrictEqual(
        Array.from(back.get(k)!.data as ArrayLike<unknown>),
        Array.from(t.data as ArrayLike<unknown>),
      );
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
});
