/**
 * The video evaluation (core/metrics/evaluate_video.ts) on a tiny video
 * ElasticTok: per clip, the mean over its real frames of PSNR/SSIM/L1 of the
 * 8-bit reconstruction, recomputed here by hand from encode → decode; padding
 * frames are never scored; adaptive counts are tallied per block. Skipped
 * without ffmpeg.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { videoClips } from "../../core/data/video_clips.ts";
import { ffmpegAvailable } from "../../core/data/video.ts";
import { openVideoSource } from "../../core/data/video_sources.ts";
import { quantize8bit } from "../../core/metrics/eval_protocol.ts";
import { evaluateVideos } from "../../core/metrics/evaluate_video.ts";
import { psnr } from "../../core/metrics/psnr.ts";
import type { Tensor } from "../../core/tensor.ts";
import { openTokenizer } from "../../core/tokenizer.ts";
import { elastictok } from "./mod.ts";
import { makeTestVideo } from "../../core/data/_test_video.ts";

Deno.test({
  name: "video eval: per-clip means over real frames equal a hand computation; adaptive counts per block",
  ignore: !ffmpegAvailable(),
  async fn() {
    const dir = mkdtempSync(join(tmpdir(), "eval-video-"));
    const config = elastictok.schema.parse({ ...(elastictok.presets.tiny_fsq as object), video_frames: 8 });
    const tok = await openTokenizer(
      { plugin: elastictok as never, config, variant: "tiny_fsq", configSource: "test" },
      { random: true, seed: 2, threads: 1 },
    );
    try {
      mkdirSync(join(dir, "v"));
      makeTestVideo(join(dir, "v", "a.mp4"), "testsrc2");
      const src = async () => (await openVideoSource([join(dir, "v")]))!;
      const e = await evaluateVideos(tok, await src(), { adaptive: { threshold: 0.02 } });
      // 12 frames: clips of 8 and 4 (+ 4 padding frames).
      deepStrictEqual([e.clips, e.frames], [2, 12]);
      strictEqual(Object.values(e.blockCounts!).reduce((a, b) => a + b, 0), 4);
      deepStrictEqual(e.curve!.slice(0, -1).map((p) => p.tokensPerImage), [4, 8, 16, 32]);
      // The full-budget point by hand.
      const clips = [];
      for await (
        const b of videoClips(await src(), {
          size: 16,
          frames: 8,
          block: 4,
          batch: 2,
          transform: elastictok.inputTransform,
        })
      ) {
        clips.push(b);
      }
      const b = clips[0];
      const rec = quantize8bit(await tok.decode(await tok.encode(b.video, {})));
      const frame = (t: Tensor, i: number, f: number): Tensor => ({
        dtype: "float32",
        shape: [1, 3, 16, 16],
        data: (t.data as Float32Array).slice((i * 8 + f) * 768, (i * 8 + f + 1) * 768),
      });
      const perClip = b.frames.map((n, i) =>
        Array.from({ length: n }, (_, f) => psnr(frame(b.video, i, f), frame(rec, i, f))[0]).reduce((a, v) =>
          a + v
        ) / n
      );
      const full = e.curve!.at(-2)!;
      ok(Math.abs(full.psnr - (perClip[0] + perClip[1]) / 2) < 1e-9, `${full.psnr} vs ${perClip}`);
    } finally {
      await tok.release();
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
