/**
 * `tok1d train` on a video ElasticTok from a webdataset shard of video
 * members (core/train/clips.ts): the loss falls over a few steps, a run
 * stopped at a checkpoint resumes to the uninterrupted losses, a damaged
 * member is skipped and counted (or stops the run under --strict, exit 2,
 * named by shard and member). Skipped without ffmpeg.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, tmp } from "../../cli/_test_run.ts";
import { packTar } from "../../core/data/tar.ts";
import { ffmpegAvailable } from "../../core/data/video.ts";
import { elastictok } from "./mod.ts";
import { makeTestVideo } from "../../core/data/_test_video.ts";

const losses = (out: string): number[] =>
  readFileSync(join(out, "log.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).loss);

Deno.test({
  name: "cli train from a shard of videos: loss falls, resume reproduces the run, bad members counted",
  ignore: !ffmpegAvailable(),
  async fn() {
    const dir = tmp();
    try {
      mkdirSync(join(dir, "v"));
      const members = [];
      for (const [name, pattern] of [["a.mp4", "testsrc2"], ["b.mp4", "smptebars"]]) {
        makeTestVideo(join(dir, "v", name), pattern, 1);
        members.push({ name, data: new Uint8Array(readFileSync(join(dir, "v", name))) });
      }
      const shard = join(dir, "clips-000000.tar");
      writeFileSync(
        shard,
        packTar([members[0], { name: "zz.mp4", data: new Uint8Array(999).fill(1) }, members[1]]),
      );
      const cfg = join(dir, "video.json");
      writeFileSync(cfg, JSON.stringify({ ...(elastictok.presets.tiny_fsq as object), video_frames: 8 }));
      const train = (out: string, extra: string[] = []) =>
        run([
          "train",
          "--model",
          cfg,
          "--data",
          shard,
          "--out",
          out,
          "--steps",
          "24",
          "--batch-size",
          "2",
          "--lr",
          "3e-3",
          "--warmup",
          "1",
          "--checkpoint-every",
          "4",
          "--threads",
          "1",
          "--no-perceptual",
          "--json",
          ...extra,
        ]);
      const full = await train(join(dir, "full"));
      strictEqual(full.code, 0, full.err);
      const summary = JSON.parse(full.out);
      deepStrictEqual(summary.badImages.files.map((f: { source: string }) => f.source), [`${shard}:zz.mp4`]);
      const l = losses(join(dir, "full"));
      strictEqual(l.length, 24);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      ok(mean(l.slice(-3)) < 0.8 * mean(l.slice(0, 3)), `losses ${l.map((x) => x.toFixed(4))}`);
      // Stopped after a checkpoint, then resumed: the same losses.
      strictEqual((await train(join(dir, "part"), ["--stop-after", "9"])).code, 0);
      strictEqual(losses(join(dir, "part")).length, 9);
      strictEqual((await train(join(dir, "part"), ["--resume"])).code, 0);
      deepStrictEqual(losses(join(dir, "part")), l);
      // --strict: exit 2 at the damaged member, named.
      const strict = await train(join(dir, "strict"), ["--strict"]);
      strictEqual(strict.code, 2, strict.err);
      ok(strict.err.includes(`${shard}:zz.mp4: `) && /--strict/.test(strict.err), strict.err);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
