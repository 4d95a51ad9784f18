/**
 * `tok1d encode` and `tok1d reconstruct` on a webdataset shard of videos with
 * a damaged member: as in `train` and `eval`, the member is skipped with a
 * warning naming `<shard>:<member>` and counted (videos encoded + skipped =
 * video members, in the summary line and in `--json`), and the good member's
 * tokens are those of the same video read from a folder; `--strict` stops at
 * the damaged member with exit 2 and writes no tokens. Skipped without ffmpeg.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, tmp } from "../../cli/_test_run.ts";
import { readNpy } from "../../core/data/npy.ts";
import { packTar } from "../../core/data/tar.ts";
import { ffmpegAvailable } from "../../core/data/video.ts";
import { makeTestVideo } from "../../core/data/_test_video.ts";
import { elastictok } from "./mod.ts";

Deno.test({
  name:
    "cli encode/reconstruct on a video shard: a truncated member is skipped and counted; --strict exits 2",
  ignore: !ffmpegAvailable(),
  async fn() {
    const dir = tmp();
    try {
      mkdirSync(join(dir, "v"));
      makeTestVideo(join(dir, "v", "a.mp4"), "testsrc");
      makeTestVideo(join(dir, "b.mp4"), "smptebars");
      const good = new Uint8Array(readFileSync(join(dir, "v", "a.mp4")));
      const whole = new Uint8Array(readFileSync(join(dir, "b.mp4")));
      // The first half of a real .mp4: ffmpeg writes its index (moov) at the end, so nothing decodes.
      const truncated = whole.subarray(0, whole.length >> 1);
      const tar = join(dir, "clips-000000.tar");
      writeFileSync(tar, packTar([{ name: "a.mp4", data: good }, { name: "b.mp4", data: truncated }]));
      const cfg = join(dir, "video.json");
      writeFileSync(cfg, JSON.stringify({ ...(elastictok.presets.tiny_fsq as object), video_frames: 8 }));
      const model = ["--model", cfg, "--random"];

      const enc = await run(["encode", ...model, "--out", join(dir, "s"), "--json", tar]);
      strictEqual(enc.code, 0, enc.err);
      const j = JSON.parse(enc.out);
      deepStrictEqual([j.videos, j.badImages.count], [1, 1]);
      strictEqual(j.videos + j.badImages.count, 2); // the shard's video members
      deepStrictEqual(j.badImages.files.map((f: { source: string }) => f.source), [`${tar}:b.mp4`]);
      ok(enc.err.includes(`warning: skipped bad video ${tar}:b.mp4: `), enc.err);
      ok(enc.err.includes("skipped 1 bad video of 2 (see the warnings above)"), enc.err);
      const side = JSON.parse(readFileSync(join(dir, "s", "tokens.json"), "utf8"));
      deepStrictEqual(side.sources, [`${tar}:a.mp4#0`, `${tar}:a.mp4#1`]); // 12 frames → clips of 8
      // The good member's tokens are the folder's.
      const folder = await run(["encode", ...model, "--out", join(dir, "f"), join(dir, "v")]);
      strictEqual(folder.code, 0, folder.err);
      deepStrictEqual(readNpy(join(dir, "s", "tokens.npy")).data, readNpy(join(dir, "f", "tokens.npy")).data);
      ok(folder.out.includes(": 2 clips of 1 video"), folder.out);
      ok(!folder.err.includes("skipped"), folder.err);

      const strict = await run(["encode", ...model, "--out", join(dir, "x"), "--strict", tar]);
      strictEqual(strict.code, 2, strict.err);
      ok(strict.err.includes(`tok1d: error: ${tar}:b.mp4: `), strict.err);
      ok(strict.err.endsWith("(--strict stops at the first bad video)"), strict.err);
      ok(!existsSync(join(dir, "x", "tokens.npy")));

      const rec = await run(["reconstruct", ...model, "--out", join(dir, "r"), "--json", tar]);
      strictEqual(rec.code, 0, rec.err);
      const r = JSON.parse(rec.out);
      // One video written (named after its shard and member), two clips, one member skipped.
      deepStrictEqual([r.images, r.videos, r.badImages.count], [
        2,
        [join(dir, "r", "clips-000000_a.mp4")],
        1,
      ]);
      deepStrictEqual(r.badImages.files.map((f: { source: string }) => f.source), [`${tar}:b.mp4`]);
      ok(rec.err.includes("skipped 1 bad video of 2"), rec.err);
      ok(Number.isFinite(r.psnr));
      const recStrict = await run(["reconstruct", ...model, "--out", join(dir, "y"), "--strict", tar]);
      strictEqual(recStrict.code, 2, recStrict.err);
      ok(recStrict.err.includes(`${tar}:b.mp4: `), recStrict.err);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
