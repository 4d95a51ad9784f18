import { deepStrictEqual, throws } from "node:assert";
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveSources } from "./source_list.ts";

const PHOTOS = new URL("../../tests/testdata/photos/", import.meta.url).pathname;

Deno.test("source list: files and folders in the order given, keys made unique for output names", () => {
  const d = mkdtempSync(join(tmpdir(), "tok1d-src-"));
  mkdirSync(join(d, "more"));
  copyFileSync(join(PHOTOS, "chelsea.png"), join(d, "more", "chelsea.png"));
  copyFileSync(join(PHOTOS, "coffee.png"), join(d, "more", "coffee.png"));
  const src = resolveSources([join(PHOTOS, "rocket.jpg"), join(PHOTOS, "chelsea.png"), join(d, "more")]);
  deepStrictEqual(src.kind, "folder");
  deepStrictEqual(src.files!.map((f) => f.rel), ["rocket.jpg", "chelsea.png", "chelsea-2.png", "coffee.png"]);
  deepStrictEqual(src.count, 4);
  // One folder alone resolves as the dataset reader always has.
  deepStrictEqual(resolveSources(join(d, "more")).files!.map((f) => f.rel), ["chelsea.png", "coffee.png"]);
  throws(() => resolveSources([join(PHOTOS, "rocket.jpg"), join(d, "nope.png")]), /nope\.png: no such file/);
  throws(() => resolveSources([join(PHOTOS, "README.md"), join(PHOTOS, "rocket.jpg")]), /not a \.jpg/);
  throws(() => resolveSources([]), /no inputs/);
});
