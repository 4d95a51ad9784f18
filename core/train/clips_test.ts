/**
 * Training clips: each item is a run of consecutive frames of one of the
 * videos, read through the encode pipeline; the same (seed, step) gives the
 * same clips. Skipped without ffmpeg.
 */
import { deepStrictEqual, ok, rejects } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { ffmpegAvailable, findFfmpeg, readVideo } from "../data/video.ts";
import { openClipBatches } from "./clips.ts";

Deno.test({
  name: "train clips: random temporal crops of the videos, the same for the same seed and step",
  ignore: !ffmpegAvailable(),
  async fn() {
    const dir = mkdtempSync(join(tmpdir(), "clips-"));
    try {
      mkdirSync(join(dir, "v"));
      for (const [name, src] of [["a.mp4", "testsrc"], ["b.mp4", "testsrc2"]]) {
        const r = spawnSync(findFfmpeg().ffmpeg, [
          "-v",
          "error",
          "-f",
          "lavfi",
          "-i",
          `${src}=size=24x16:rate=24:duration=0.5`,
          "-pix_fmt",
          "yuv420p",
          join(dir, "v", name),
        ]);
        deepStrictEqual(r.status, 0, String(r.stderr));
      }
      const o = {
        size: 8,
        frames: 4,
        batch: 3,
        seed: 5,
        transform: { filter: "bilinear", rounding: "floor" },
      } as const;
      const clips = await openClipBatches(join(dir, "v"), o);
      const full = await Promise.all(
        ["a.mp4", "b.mp4"].map(async (f) =>
          (await readVideo(join(dir, "v", f), { size: 8, block: 1, transform: o.transform })).video.data
        ),
      );
      const per = 3 * 8 * 8;
      const starts = new Set<string>();
      for (const step of [0, 1, 2, 3]) {
        const x = await clips.at(step);
        deepStrictEqual(x.shape, [3, 4, 3, 8, 8]);
        deepStrictEqual(x.data, (await clips.at(step)).data);
        for (let i = 0; i < 3; i++) {
          const item = (x.data as Float32Array).subarray(i * 4 * per, (i + 1) * 4 * per);
          const where = full.flatMap((v, k) =>
            Array.from({ length: v.length / per - 3 }, (_, s) => s)
              .filter((s) => item.every((val, j) => val === v[s * per + j]))
              .map((s) => `${k}:${s}`)
          );
          ok(where.length > 0, `step ${step} item ${i} is 4 consecutive frames of a video`);
          starts.add(where[0]);
        }
      }
      ok(starts.size >= 4, `crops vary: ${[...starts]}`);
      await rejects(
        () => openClipBatches(join(dir, "v"), { ...o, frames: 20 }),
        (e: Error) => e instanceof UsageError && /no video holds a clip of 20 frames/.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
