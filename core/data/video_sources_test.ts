/**
 * Video sources: files, folders (recursive, sorted), shards of video members
 * (written to a temporary file while read, removed after), contiguous parts,
 * and image inputs left to the image reader. No ffmpeg needed: only names and
 * bytes are read here.
 */
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { packTar } from "./tar.ts";
import { openVideoSource, type VideoSource } from "./video_sources.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

async function list(src: VideoSource): Promise<{ name: string; body: string; existed: boolean }[]> {
  const out = [];
  for await (const f of src.files()) {
    out.push({ name: f.name, body: readFileSync(f.path, "utf8"), existed: existsSync(f.path) });
    f.release();
    if (f.path.includes("tok1d-video-")) {
      ok(!existsSync(f.path), "a shard member's file is removed on release");
    }
  }
  return out;
}

Deno.test("video sources: files, folders and video shards; image inputs are left to the image reader", async () => {
  const dir = mkdtempSync(join(tmpdir(), "video-src-"));
  try {
    mkdirSync(join(dir, "v", "sub"), { recursive: true });
    writeFileSync(join(dir, "v", "b.mp4"), "B");
    writeFileSync(join(dir, "v", "a.webm"), "A");
    writeFileSync(join(dir, "v", "sub", "c.mp4"), "C");
    writeFileSync(join(dir, "v", "notes.txt"), "x");
    const folder = (await openVideoSource([join(dir, "v")]))!;
    strictEqual(folder.count, 3);
    deepStrictEqual((await list(folder)).map((f) => f.body), ["A", "B", "C"]);
    const half = (await openVideoSource([join(dir, "v")], { index: 1, count: 2 }))!;
    deepStrictEqual((await list(half)).map((f) => f.body), ["B", "C"]);
    // Shards whose members are videos (a sample's sidecar may come before its video).
    mkdirSync(join(dir, "s"));
    writeFileSync(
      join(dir, "s", "clips-000000.tar"),
      packTar([{ name: "k1.json", data: bytes("{}") }, { name: "k1.mp4", data: bytes("one") }]),
    );
    writeFileSync(join(dir, "s", "clips-000001.tar"), packTar([{ name: "k2.mp4", data: bytes("two") }]));
    const shards = (await openVideoSource([join(dir, "s", "clips-{000000..000001}.tar")]))!;
    strictEqual(shards.kind, "shards");
    const got = await list(shards);
    deepStrictEqual(got.map((f) => [f.name.split("/").pop(), f.body]), [
      ["clips-000000.tar:k1.mp4", "one"],
      ["clips-000001.tar:k2.mp4", "two"],
    ]);
    deepStrictEqual((await list((await openVideoSource([join(dir, "s")]))!)).length, 2);
    // Images: not videos.
    mkdirSync(join(dir, "img"));
    writeFileSync(join(dir, "img", "a.png"), "p");
    writeFileSync(join(dir, "img.tar"), packTar([{ name: "k.jpg", data: bytes("j") }]));
    strictEqual(await openVideoSource([join(dir, "img")]), undefined);
    strictEqual(await openVideoSource([join(dir, "img.tar")]), undefined);
    await rejects(
      () => openVideoSource([join(dir, "v", "b.mp4"), join(dir, "img")]),
      (e: Error) => e instanceof UsageError && /img: holds no video files/.test(e.message),
    );
    await rejects(
      () => openVideoSource([join(dir, "s", "clips-00000{0..2}.tar")]),
      (e: Error) => e instanceof UsageError && /clips-000002.tar does not exist/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
