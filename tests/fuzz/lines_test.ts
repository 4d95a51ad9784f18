import assert from "node:assert/strict";
import { TextLineStream } from "./lines.ts";

Deno.test("fuzz lines: chunks split into lines, a last line without newline kept", async () => {
  const src = ReadableStream.from(["a\nb", "c\n", "\nd"]);
  const out: string[] = [];
  for await (const l of src.pipeThrough(new TextLineStream())) out.push(l);
  assert.deepEqual(out, ["a", "bc", "", "d"]);
});
