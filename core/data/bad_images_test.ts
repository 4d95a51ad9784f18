import { deepStrictEqual, ok, throws } from "node:assert";
import { UsageError } from "../errors.ts";
import { BadImages, skippedLine } from "./bad_images.ts";

Deno.test("bad images: skipped once per file with the reason named, counted; strict stops with a UsageError", () => {
  const said: string[] = [];
  const bad = new BadImages(false, (m) => said.push(m));
  deepStrictEqual(bad.line(), undefined);
  bad.report(
    "data/b.png",
    "data/b.png: cannot decode image (Input buffer contains unsupported image format)",
  );
  bad.report("data/b.png", "data/b.png: cannot decode image (again, a later epoch)");
  bad.report("shard.tar:k1", "truncated member");
  deepStrictEqual(said, [
    "skipped bad image data/b.png: cannot decode image (Input buffer contains unsupported image format)",
    "skipped bad image shard.tar:k1: truncated member",
  ]);
  deepStrictEqual(bad.summary(), {
    count: 2,
    files: [
      {
        source: "data/b.png",
        reason: "cannot decode image (Input buffer contains unsupported image format)",
      },
      { source: "shard.tar:k1", reason: "truncated member" },
    ],
  });
  ok(bad.line()!.startsWith("skipped 2 bad images (see the warnings above)"));
  const strict = new BadImages(true, () => {});
  throws(
    () => strict.report("x.jpg", "x.jpg: empty file (0 bytes), not an image"),
    (e: Error) =>
      e instanceof UsageError &&
      e.message === "x.jpg: empty file (0 bytes), not an image (--strict stops at the first bad image)",
  );
});

Deno.test("bad images: a video reader names videos; the summary line counts them against all the inputs", () => {
  const said: string[] = [];
  const bad = new BadImages(false, (m) => said.push(m));
  bad.report("s.tar:b.mp4", "moov atom not found", "video");
  deepStrictEqual(said, ["skipped bad video s.tar:b.mp4: moov atom not found"]);
  ok(bad.line()!.startsWith("skipped 1 bad video (see the warnings above)"), bad.line() ?? "no line");
  deepStrictEqual(
    skippedLine(bad.count, { noun: "video", of: 2 }),
    "skipped 1 bad video of 2 (see the warnings above); --strict stops at the first instead",
  );
  deepStrictEqual(skippedLine(3, { noun: "video" })!.slice(0, 20), "skipped 3 bad videos");
  deepStrictEqual(skippedLine(0, { noun: "video", of: 4 }), undefined);
  throws(
    () => new BadImages(true, () => {}).report("s.tar:b.mp4", "s.tar:b.mp4: moov atom not found", "video"),
    (e: Error) => e.message === "s.tar:b.mp4: moov atom not found (--strict stops at the first bad video)",
  );
});
