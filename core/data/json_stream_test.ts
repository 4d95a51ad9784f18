import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { streamJsonArray } from "./json_stream.ts";

const dir = mkdtempSync(join(tmpdir(), "tok1d-json-"));
const collect = async (text: string, chunk: number) => {
  writeFileSync(join(dir, "a.json"), text);
  const out: unknown[] = [];
  for await (const x of streamJsonArray(join(dir, "a.json"), chunk)) out.push(x);
  return out;
};

Deno.test("json_stream: elements of a top-level array, whatever the chunk size; tricky strings and nesting", async () => {
  const value = [
    { name: "a.jpg", attributes: { weather: "clear", scene: "city street", timeofday: "daytime" } },
    { name: 'b ]}, "quoted" \\ back', labels: [{ box2d: { x1: 1.5 } }, [], {}], attributes: {} },
    3,
    "str,ing",
    null,
    [1, [2, [3]]],
    { ünï: "çødé ✓" },
  ];
  const text = JSON.stringify(value, null, 1);
  for (const chunk of [1, 2, 3, 7, 64, 1 << 20]) {
    assert.deepEqual(await collect(text, chunk), value, `chunk ${chunk}`);
  }
  assert.deepEqual(await collect(" [ ] ", 2), []);
  assert.deepEqual(await collect("[1,2]", 1), [1, 2]);
});

Deno.test("json_stream: not an array, cut short or malformed → UsageError naming the file", async () => {
  for (const bad of ['{"a": 1}', '[{"a": 1}, {"b":', "[1, {x}]", ""]) {
    await assert.rejects(
      collect(bad, 4),
      (e) => e instanceof UsageError && e.message.includes("a.json"),
      bad,
    );
  }
});

Deno.test({ name: "json_stream: cleanup", fn: () => rmSync(dir, { recursive: true }) });
