/**
 * Training clips: each item is a run of consecutive frames of one of the
 * videos, read through the encode pipeline; the same (seed, step) gives the
 * same clips. Skipped without ffmpeg.
 */
import { deepStrictEqual, ok, rejects } from "node:assert";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { BadImages } from "../data/bad_images.ts";
import { packTar } from "../data/tar.ts";
import { ffmpegAvailable, readVideo } from "../data/video.ts";
import { openClipBatches } from "./clips.ts";
import { makeTestVideo } from "../data/_test_video.ts";

Deno.test({
  name: "train clips: random temporal crops of the videos, the same for the same seed and step",
  ignore: !ffmpegAvailable(),
  async fn() {
    const dir = mkdtempSync(join(tmpdir(), "clips-"));
    try {
      mkdirSync(join(dir, "v"));
      for (const [name, src] of [["a.mp4", "testsrc"], ["b.mp4", "testsrc2"]]) {
        makeTestVideo(join(dir, "v", name), src);
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

Deno.test({
  name:
    "train clips from video shards: the folder's clips for the same seed and step, re-read from the shard",
  ignore: !ffmpegAvailable(),
  async fn() {
    const dir = mkdtempSync(join(tmpdir(), "clips-shards-"));
    try {
      mkdirSync(join(dir, "v"));
      for (const [name, src] of [["a.mp4", "testsrc"], ["b.mp4", "testsrc2"], ["c.mp4", "smptebars"]]) {
        makeTestVideo(join(dir, "v", name), src);
      }
      const member = (f: string) => ({ name: f, data: new Uint8Array(readFileSync(join(dir, "v", f))) });
      // Two shards, in the folder's order, with a sidecar member and a damaged video between them.
      writeFileSync(
        join(dir, "s-000000.tar"),
        packTar([member("a.mp4"), { name: "a.json", data: new TextEncoder().encode("{}") }]),
      );
      writeFileSync(
        join(dir, "s-000001.tar"),
        packTar([member("b.mp4"), { name: "bad.mp4", data: new Uint8Array(3000).fill(7) }, member("c.mp4")]),
      );
      const o = {
        size: 8,
        frames: 4,
        batch: 3,
        seed: 11,
        transform: { filter: "bilinear", rounding: "floor" },
      } as const;
      const folder = await openClipBatches(join(dir, "v"), o);
      const bad = new BadImages(false, () => {});
      // A cache of one video's frames: every other draw copies its member out of the shard again.
      const oneVideo = 12 * 3 * 8 * 8 * 4;
      const shards = await openClipBatches(join(dir, "s-{000000..000001}.tar"), {
        ...o,
        badImages: bad,
        maxCachedBytes: oneVideo,
      });
      for (const step of [0, 1, 2, 3, 4, 5]) {
        const [x, y] = [await folder.at(step), await shards.at(step)];
        deepStrictEqual(y.shape, [3, 4, 3, 8, 8]);
        deepStrictEqual(y.data, x.data, `step ${step}`);
      }
      deepStrictEqual(bad.skipped.map((s) => s.source), [`${join(dir, "s-000001.tar")}:bad.mp4`]);
      // --strict: the damaged member stops the run, named by shard and member.
      await rejects(
        () => openClipBatches(join(dir, "s-000001.tar"), { ...o, badImages: new BadImages(true) }),
        (e: Error) =>
          e instanceof UsageError && e.message.startsWith(`${join(dir, "s-000001.tar")}:bad.mp4: `) &&
          /--strict/.test(e.message),
      );
      // Without a policy (library use), the damaged member is an error as before.
      await rejects(() => openClipBatches(join(dir, "s-000001.tar"), o), UsageError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
