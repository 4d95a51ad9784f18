import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scanClassFolders, subfolders, walkFiles } from "./scan.ts";

const dir = mkdtempSync(join(tmpdir(), "tok1d-scan-"));
const touch = (rel: string) => {
  mkdirSync(join(dir, rel, ".."), { recursive: true });
  writeFileSync(join(dir, rel), rel);
};
for (
  const f of ["real/b/2.jpg", "real/b/1.jpg", "real/b/deep/0.jpg", "real/a/x.png", "real/B/y.png", "top.jpg"]
) touch(f);
symlinkSync(join(dir, "real", "b"), join(dir, "real", "linked")); // a class folder that is a symlink (ImageNet100 style)
symlinkSync("..", join(dir, "real", "a", "up")); // loop: a → real
symlinkSync("self", join(dir, "real", "a", "self")); // loop: a link to itself
symlinkSync("gone.jpg", join(dir, "real", "a", "dangling.jpg"));

Deno.test("scan: recursive, sorted by code point, symlinks followed, loops and dangling links reported", () => {
  const files = walkFiles(join(dir, "real"));
  assert.deepEqual(files.map((f) => [f.rel, f.error ?? ""]), [
    ["B/y.png", ""],
    ["a/dangling.jpg", "broken symlink"],
    ["a/self", "symlink loop"],
    ["a/up", "symlink loop (folder links to its own ancestor)"],
    ["a/x.png", ""],
    ["b/1.jpg", ""],
    ["b/2.jpg", ""],
    ["b/deep/0.jpg", ""],
    ["linked/1.jpg", ""],
    ["linked/2.jpg", ""],
    ["linked/deep/0.jpg", ""],
  ]);
});

Deno.test("scan: class folders, files outside them, and classes left out by a filter", () => {
  assert.deepEqual(subfolders(join(dir, "real")), ["B", "a", "b", "linked"]);
  const all = scanClassFolders(dir);
  assert.deepEqual(all.classes, ["real"]);
  assert.deepEqual(all.files.filter((f) => !f.className).map((f) => [f.rel, f.error]), [[
    "top.jpg",
    "not inside a class folder",
  ]]);
  const some = scanClassFolders(join(dir, "real"), (c) => c !== "b" && c !== "B");
  assert.equal(some.excluded, 4); // entries directly in b/ (1.jpg, 2.jpg, deep) and B/ (y.png)
  assert.deepEqual(some.files.map((f) => f.className), ["a", "a", "a", "a", "linked", "linked", "linked"]);
});

Deno.test({ name: "scan: cleanup", fn: () => rmSync(dir, { recursive: true }) });
