/**
 * `tok1d eval` on webdataset shards of videos: the same metrics as on a
 * folder of the same videos; a damaged member is skipped and counted (videos
 * scored + bad members = video members), or stops the run under --strict
 * (exit 2, named by shard and member); `--shard K/N --out` parts merge with
 * `eval merge` to the unsharded numbers. Skipped without ffmpeg.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, tmp } from "../../cli/_test_run.ts";
import { packTar } from "../../core/data/tar.ts";
import { ffmpegAvailable } from "../../core/data/video.ts";
import { elastictok } from "./mod.ts";
import { makeTestVideo } from "../../core/data/_test_video.ts";

interface Metrics {
  videos: number;
  clips: number;
  frames: number;
  psnr: number;
  ssim: number;
  l1: number;
  curve: { tokensPerImage: number; psnr: number; ssim: number; l1: number }[];
  blockCounts: Record<string, number>;
  badImages: { count: number; files: { source: string }[] };
}

const close = (a: number, b: number, what: string) =>
  ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a)), `${what}: ${a} vs ${b}`);

function sameMetrics(got: Metrics, want: Metrics): void {
  deepStrictEqual([got.videos, got.clips, got.frames], [want.videos, want.clips, want.frames]);
  deepStrictEqual(got.blockCounts, want.blockCounts);
  strictEqual(got.curve.length, want.curve.length);
  for (const k of ["psnr", "ssim", "l1"] as const) close(got[k], want[k], k);
  got.curve.forEach((p, i) => {
    for (const k of ["tokensPerImage", "psnr", "ssim", "l1"] as const) {
      close(p[k], want.curve[i][k], `curve ${i} ${k}`);
    }
  });
}

Deno.test({
  name: "cli eval on shards of videos: folder's metrics, bad members counted, --strict, --shard parts merge",
  ignore: !ffmpegAvailable(),
  async fn() {
    const dir = tmp();
    try {
      mkdirSync(join(dir, "v"));
      const bytes: Record<string, Uint8Array> = {};
      for (const [name, pattern] of [["a.mp4", "testsrc"], ["b.mp4", "smptebars"], ["c.mp4", "testsrc2"]]) {
        makeTestVideo(join(dir, "v", name), pattern);
        bytes[name] = new Uint8Array(readFileSync(join(dir, "v", name)));
      }
      const [s0, s1] = [join(dir, "s-000000.tar"), join(dir, "s-000001.tar")];
      writeFileSync(
        s0,
        packTar([{ name: "a.mp4", data: bytes["a.mp4"] }, {
          name: "bad.mp4",
          data: new Uint8Array(2000).fill(9),
        }, {
          name: "a.json",
          data: new TextEncoder().encode("{}"),
        }]),
      );
      writeFileSync(s1, packTar(["b.mp4", "c.mp4"].map((name) => ({ name, data: bytes[name] }))));
      const cfg = join(dir, "video.json");
      writeFileSync(cfg, JSON.stringify({ ...(elastictok.presets.tiny_fsq as object), video_frames: 8 }));
      const evalOn = (data: string, extra: string[] = []) =>
        run([
          "eval",
          "--model",
          cfg,
          "--random",
          "--data",
          data,
          "--adaptive",
          "--threshold",
          "0.02",
          "--json",
          ...extra,
        ]);
      const folder = await evalOn(join(dir, "v"));
      strictEqual(folder.code, 0, folder.err);
      const want: Metrics = JSON.parse(folder.out);
      deepStrictEqual([want.videos, want.clips, want.frames, want.badImages.count], [3, 6, 36, 0]);
      const pattern = join(dir, "s-{000000..000001}.tar");
      const shards = await evalOn(pattern, ["--report", join(dir, "report")]);
      strictEqual(shards.code, 0, shards.err);
      const got: Metrics = JSON.parse(shards.out);
      sameMetrics(got, want);
      // 4 video members: 3 scored, 1 skipped and named.
      deepStrictEqual(got.badImages.files.map((f) => f.source), [`${s0}:bad.mp4`]);
      ok(shards.err.includes("skipped 1 bad video of 4 (see the warnings above)"), shards.err);
      const report = JSON.parse(readFileSync(join(dir, "report", "metrics.json"), "utf8"));
      deepStrictEqual([report.videos, report.clips, report.badImages.count], [3, 6, 1]);
      ok(existsSync(join(dir, "report", "curve.html")));
      // --strict stops at the damaged member.
      const strict = await evalOn(pattern, ["--strict"]);
      strictEqual(strict.code, 2, strict.err);
      ok(strict.err.includes(`${s0}:bad.mp4: `) && /--strict/.test(strict.err), strict.err);
      // Parts: one shard each, merged to the whole run's numbers.
      const noOut = await evalOn(pattern, ["--shard", "0/2"]);
      strictEqual(noOut.code, 2);
      ok(/--shard: also pass --out/.test(noOut.err), noOut.err);
      const parts = [];
      for (const k of [0, 1]) {
        const p = await evalOn(pattern, ["--shard", `${k}/2`, "--out", join(dir, `part${k}`)]);
        strictEqual(p.code, 0, p.err);
        parts.push(JSON.parse(p.out));
      }
      deepStrictEqual(parts.map((p) => [p.videos, p.clips, p.badImages.count]), [[1, 2, 1], [2, 4, 0]]);
      const merged = await run(["eval", "merge", join(dir, "part0"), join(dir, "part1"), "--json"]);
      strictEqual(merged.code, 0, merged.err);
      const m: Metrics = JSON.parse(merged.out);
      sameMetrics(m, want);
      deepStrictEqual(m.badImages.files.map((f) => f.source), [`${s0}:bad.mp4`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
