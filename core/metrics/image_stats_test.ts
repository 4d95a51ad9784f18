import { deepStrictEqual, throws } from "node:assert";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { InceptionFeatures } from "./features.ts";
import { imageStatistics, pytorchFidFiles } from "./image_stats.ts";

Deno.test("image stats: pytorch-fid's file rules; shards need --size", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-imgstats-"));
  for (const f of ["b.png", "a.jpg", "c.JPG", "notes.txt", "d.webp"]) writeFileSync(join(dir, f), "x");
  mkdirSync(join(dir, "sub.png"));
  // Lower-case extensions only (pytorch-fid's glob), sorted, folders skipped.
  deepStrictEqual(pytorchFidFiles(dir).map((f) => f.slice(dir.length + 1)), ["a.jpg", "b.png", "d.webp"]);
  writeFileSync(join(dir, "e.bmp"), "x");
  throws(
    () => pytorchFidFiles(dir),
    (e: Error) => e instanceof UsageError && /e\.bmp: tok1d reads JPEG, PNG and WebP/.test(e.message),
  );
  const inc = await InceptionFeatures.create("random:0", { threads: 1 });
  try {
    await imageStatistics(join(dir, "shards-{0..1}.tar"), inc);
    throw new Error("expected a UsageError");
  } catch (e) {
    if (!(e instanceof UsageError) || !/--size/.test(e.message)) throw e;
  } finally {
    await inc.release();
  }
});
