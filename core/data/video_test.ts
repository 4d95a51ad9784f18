/**
 * Video reading and writing through ffmpeg: upstream's frame sampling (numpy
 * reference values), frames equal to the same frame extracted alone and
 * resized as upstream, an .mp4 round trip, and the error without ffmpeg.
 * Tests that need ffmpeg skip when it is absent (Debian package `ffmpeg`).
 */
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { UsageError } from "../errors.ts";
import { ffmpegAvailable, findFfmpeg, probeVideo, readVideo, sampleIndices, writeVideo } from "./video.ts";
import { resizeCenterCrop } from "./resize.ts";
import { writeChw } from "./transform.ts";

const hasFfmpeg = ffmpegAvailable();

Deno.test("video: sampled indices are upstream's int(linspace(0, n−1, int(n/fps·target))), whole blocks", () => {
  // numpy 2.4.6: np.linspace(0, frames - 1, int(frames / fps * target)).astype(int)[: n // 4 * 4]
  deepStrictEqual(sampleIndices(100, 24, 4, 4), [
    0,
    6,
    13,
    19,
    26,
    33,
    39,
    46,
    52,
    59,
    66,
    72,
    79,
    85,
    92,
    99,
  ]);
  deepStrictEqual(sampleIndices(7, 30, 24, 4), [0, 1, 3, 4]);
  const i60 = sampleIndices(60, 30, 24, 4);
  strictEqual(i60.length, 48);
  deepStrictEqual(i60.slice(0, 9), [0, 1, 2, 3, 5, 6, 7, 8, 10]);
  deepStrictEqual(i60.slice(-3), [56, 57, 59]);
  deepStrictEqual(sampleIndices(3, 30, 24, 4), []);
});

Deno.test("video: a missing ffmpeg is a usage error naming the Debian package", () => {
  const saved = { ...process.env };
  try {
    process.env.PATH = "/nonexistent";
    delete process.env.TOK1D_FFMPEG;
    throws(
      () => findFfmpeg(),
      (e: Error) => e instanceof UsageError && /Debian package 'ffmpeg'/.test(e.message),
    );
    process.env.TOK1D_FFMPEG = "/nonexistent/ffmpeg";
    throws(() => findFfmpeg(), (e: Error) => e instanceof UsageError && /TOK1D_FFMPEG/.test(e.message));
  } finally {
    process.env.PATH = saved.PATH;
    if (saved.TOK1D_FFMPEG === undefined) delete process.env.TOK1D_FFMPEG;
    else process.env.TOK1D_FFMPEG = saved.TOK1D_FFMPEG;
  }
});

Deno.test({
  name: "video: read frames = upstream's resize + crop of the sampled frames; .mp4 round trip",
  ignore: !hasFfmpeg,
  async fn() {
    const dir = mkdtempSync(join(tmpdir(), "video-"));
    try {
      const { ffmpeg } = findFfmpeg();
      const src = join(dir, "clip.mp4");
      const made = spawnSync(ffmpeg, [
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=40x24:rate=30:duration=1",
        "-c:v",
        "libx264rgb",
        "-qp",
        "0",
        src,
      ]);
      strictEqual(made.status, 0, String(made.stderr));
      const p = probeVideo(src);
      deepStrictEqual([p.frames, p.fps, p.width, p.height], [30, 30, 40, 24]);
      const transform = { filter: "bilinear", rounding: "floor" } as const;
      const v = await readVideo(src, { size: 16, fps: 24, block: 4, transform });
      deepStrictEqual(v.video.shape, [1, 24, 3, 16, 16]);
      deepStrictEqual(v.indices, sampleIndices(30, 30, 24, 4));
      // Frame 5 of the sample (source frame v.indices[5]) extracted alone.
      const one = spawnSync(ffmpeg, [
        "-v",
        "error",
        "-i",
        src,
        "-vf",
        `select=eq(n\\,${v.indices[5]})`,
        "-frames:v",
        "1",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "pipe:1",
      ], { maxBuffer: 1 << 20 });
      const want = new Float32Array(3 * 16 * 16);
      const frame = { data: new Uint8Array(one.stdout), width: 40, height: 24 };
      writeChw(resizeCenterCrop(frame, 16, "bilinear", "floor"), want);
      deepStrictEqual([...v.video.data.subarray(5 * 768, 6 * 768)], [...want]);
      const out = join(dir, "out.mp4");
      await writeVideo(out, { ...v.video, shape: [24, 3, 16, 16] }, 24);
      const back = probeVideo(out);
      deepStrictEqual([back.frames, back.fps, back.width, back.height], [24, 24, 16, 16]);
      const again = await readVideo(out, { size: 16, fps: 24 });
      const a = again.video.data, b = v.video.data;
      let err = 0;
      for (let i = 0; i < a.length; i++) err += Math.abs(a[i] - b[i]);
      // 16×16 test-card colours through 4:2:0 chroma: a loose bound.
      ok(err / a.length < 0.15, `lossy round trip mean |diff| ${err / a.length}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
