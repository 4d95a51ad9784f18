/**
 * ElasticTok on the command line: adaptive encode of images with the family's
 * flags, and `reconstruct` of a video file (clips of 16 frames, `<name>.mp4`
 * with the ground truth above the reconstruction). The video test skips
 * without ffmpeg (Debian package `ffmpeg`).
 */
import { deepStrictEqual, notDeepStrictEqual, ok, strictEqual } from "node:assert";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { photoFolder, run, tmp } from "../../cli/_test_run.ts";
import { ffmpegAvailable, probeVideo } from "../../core/data/video.ts";
import { decodeImage } from "../../core/data/image.ts";
import { readNpy } from "../../core/data/npy.ts";
import { writePng } from "../../core/data/png.ts";
import { packTar } from "../../core/data/tar.ts";
import { type Filter, resizeCenterCrop, type Rounding } from "../../core/data/resize.ts";
import { elastictok } from "./mod.ts";
import { makeTestVideo } from "../../core/data/_test_video.ts";

const hasFfmpeg = ffmpegAvailable();

Deno.test("elastictok CLI: adaptive encode records per-block counts; another family's flag is refused", async () => {
  const dir = tmp();
  try {
    const photos = await photoFolder(dir, 16, ["astronaut.png", "chelsea.png"]);
    const out = join(dir, "enc");
    const r = await run([
      "encode",
      "--model",
      "elastictok/tiny",
      "--random",
      "--adaptive",
      "--threshold",
      "0.01",
      "--search",
      "linear",
      "--out",
      out,
      ...photos,
    ]);
    strictEqual(r.code, 0, r.err);
    const side = JSON.parse(readFileSync(join(out, "tokens.json"), "utf8"));
    strictEqual(side.blockCounts.length, 2);
    ok(side.blockCounts.every((c: number[]) => c.length === 1 && c[0] >= 2 && c[0] <= 16));
    deepStrictEqual(side.encoding, { maxBlocksPerChunk: 4, search: "linear", threshold: 0.01 });
    const bad = await run([
      "encode",
      "--model",
      "titok/tiny",
      "--random",
      "--search",
      "binary",
      "--out",
      out,
      ...photos,
    ]);
    strictEqual(bad.code, 2);
    ok(/--search: a elastictok option/.test(bad.err), bad.err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("elastictok CLI: images are resized as upstream (Pillow bilinear, floor crop), not torchvision bicubic", async () => {
  const dir = tmp();
  try {
    const photo = new URL("../../tests/testdata/photos/chelsea.png", import.meta.url).pathname;
    const img = await decodeImage(photo); // 451×300: the crop offset differs between the roundings
    const prepared = async (name: string, filter: Filter, rounding: Rounding) => {
      const r = resizeCenterCrop(img, 16, filter, rounding);
      await writePng(join(dir, name), r.data, 16, 16);
      return join(dir, name);
    };
    const encode = async (input: string, out: string) => {
      const r = await run([
        "encode",
        "--model",
        "elastictok/tiny_vae",
        "--random",
        "--out",
        join(dir, out),
        input,
      ]);
      strictEqual(r.code, 0, r.err);
      return readNpy(join(dir, out, "tokens.npy")).data;
    };
    const whole = await encode(photo, "whole");
    deepStrictEqual(whole, await encode(await prepared("upstream.png", "bilinear", "floor"), "upstream"));
    notDeepStrictEqual(
      whole,
      await encode(await prepared("bicubic.png", "bicubic", "torchvision"), "bicubic"),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test({
  name: "elastictok CLI: reconstruct a video → tokens per 16-frame clip and <name>.mp4 (ground truth above)",
  ignore: !hasFfmpeg,
  async fn() {
    const dir = tmp();
    try {
      const src = join(dir, "clip.mp4");
      makeTestVideo(src, "testsrc", 1, "24x16", 30);
      const cfg = join(dir, "video.json");
      writeFileSync(cfg, JSON.stringify({ ...(elastictok.presets.tiny_fsq as object), video_frames: 16 }));
      const out = join(dir, "rec");
      const r = await run(["reconstruct", "--model", cfg, "--random", "--out", out, "--json", src]);
      strictEqual(r.code, 0, r.err);
      // 30 frames at 30 fps → 24 sampled frames → clips of 16 (the second padded from 8).
      const side = JSON.parse(readFileSync(join(out, "tokens.json"), "utf8"));
      deepStrictEqual(side.sources, [`${src}#0`, `${src}#1`]);
      deepStrictEqual(side.blockCounts, [[16, 16, 16, 16], [16, 16, 16, 16]]);
      const v = probeVideo(join(out, "clip.mp4"));
      deepStrictEqual([v.frames, v.width, v.height], [24, 16, 32]);
      // An image model refuses video files, naming the video presets.
      const img = await run([
        "encode",
        "--model",
        "elastictok/tiny",
        "--random",
        "--out",
        join(dir, "x"),
        src,
      ]);
      strictEqual(img.code, 2);
      ok(/video files need a video model/.test(img.err), img.err);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});

Deno.test({
  name:
    "elastictok CLI: a folder and a shard of videos encode clip by clip; eval scores clips and counts per block",
  ignore: !hasFfmpeg,
  async fn() {
    const dir = tmp();
    try {
      mkdirSync(join(dir, "videos"));
      for (const [name, pattern] of [["a.mp4", "testsrc"], ["b.mp4", "smptebars"]]) {
        makeTestVideo(join(dir, "videos", name), pattern);
      }
      const cfg = join(dir, "video.json");
      writeFileSync(cfg, JSON.stringify({ ...(elastictok.presets.tiny_fsq as object), video_frames: 8 }));
      const folder = await run([
        "encode",
        "--model",
        cfg,
        "--random",
        "--out",
        join(dir, "f"),
        join(dir, "videos"),
      ]);
      strictEqual(folder.code, 0, folder.err);
      const side = JSON.parse(readFileSync(join(dir, "f", "tokens.json"), "utf8"));
      // 12 frames each → clips of 8: [8, 4 + padding] per file.
      deepStrictEqual(side.sources.map((s: string) => s.split("/").pop()), [
        "a.mp4#0",
        "a.mp4#1",
        "b.mp4#0",
        "b.mp4#1",
      ]);
      const tar = join(dir, "clips-000000.tar");
      writeFileSync(
        tar,
        packTar(
          ["a", "b"].map((k) => ({ name: `${k}.mp4`, data: readFileSync(join(dir, "videos", `${k}.mp4`)) })),
        ),
      );
      const shard = await run(["encode", "--model", cfg, "--random", "--out", join(dir, "s"), tar]);
      strictEqual(shard.code, 0, shard.err);
      deepStrictEqual(readNpy(join(dir, "s", "tokens.npy")).data, readNpy(join(dir, "f", "tokens.npy")).data);
      // Reconstructions of shard members are named <shard>_<member>.mp4 (no ':'); image-only flags are refused.
      const rec = await run([
        "reconstruct",
        "--model",
        cfg,
        "--random",
        "--out",
        join(dir, "r"),
        "--json",
        tar,
      ]);
      strictEqual(rec.code, 0, rec.err);
      deepStrictEqual(
        readdirSync(join(dir, "r")).filter((n) => n.endsWith(".mp4")).sort(),
        ["clips-000000_a.mp4", "clips-000000_b.mp4"],
      );
      for (
        const [flag, said] of [["--no-resize", /--no-resize: applies to images/], [
          "--workers",
          /--workers: /,
        ]]
      ) {
        const line = ["encode", "--model", cfg, "--random", "--out", join(dir, "w"), flag as string];
        const refused = await run([...line, ...(flag === "--workers" ? ["2"] : []), join(dir, "videos")]);
        strictEqual(refused.code, 2, refused.err);
        ok((said as RegExp).test(refused.err), refused.err);
      }
      const e = await run([
        "eval",
        "--model",
        cfg,
        "--random",
        "--data",
        join(dir, "videos"),
        "--adaptive",
        "--threshold",
        "0.02",
        "--json",
      ]);
      strictEqual(e.code, 0, e.err);
      const m = JSON.parse(e.out);
      strictEqual(m.clips, 4);
      strictEqual(m.frames, 24); // padding is not scored
      strictEqual(Object.values(m.blockCounts as Record<string, number>).reduce((a, b) => a + b, 0), 8);
      deepStrictEqual(m.curve.map((p: { tokensPerImage: number }) => p.tokensPerImage).slice(0, -1), [
        4,
        8,
        16,
        32,
      ]);
      ok(m.curve.every((p: { psnr: number }) => Number.isFinite(p.psnr)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
