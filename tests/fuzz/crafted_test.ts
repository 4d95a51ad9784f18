/**
 * The crafted files of issue 12 (crafted.ts), each in its own process: a
 * UsageError (or, for the image under the pixel budget, a decode), within the
 * fuzz limits of time and peak RSS. The table of numbers is printed.
 */
import assert from "node:assert/strict";
import { LIMITS, runCrafted } from "./driver.ts";
import { CRAFTED } from "./crafted.ts";

/**
 * Measurements, not refusals: an image under the pixel budget decodes (about 3 s and 0.9 GiB here); left to
 * `deno task fuzz`, which prints every crafted case's numbers.
 */
export const MEASURE_ONLY: ReadonlySet<string> = new Set([
  "jpeg_progressive_12000",
  "convert_progressive_12000",
]);

Deno.test("crafted regression files: refused as UsageErrors within the time and memory limits", async (t) => {
  const rows: string[] = [];
  for (const c of CRAFTED.filter((c) => !MEASURE_ONLY.has(c.name))) {
    await t.step(c.name, async () => {
      const r = await runCrafted(c.name);
      rows.push(
        `${c.name.padEnd(28)} ${r.kind.padEnd(6)} ${r.ms.toFixed(0).padStart(6)} ms ${
          r.rssMiB.toFixed(0).padStart(5)
        } MiB`,
      );
      assert.equal(r.kind, "usage", `${c.name}: ${r.kind} ${r.detail}`);
      assert.ok(r.ms < LIMITS.caseMs, `${c.name}: ${r.ms} ms`);
      assert.ok(r.rssMiB < LIMITS.rssMiB, `${c.name}: ${r.rssMiB} MiB`);
    });
  }
  console.log(rows.join("\n"));
});
