/**
 * Training clips from a webdataset shard of videos against the same videos
 * in a folder (core/train/clips.ts): the first pass (every video decoded
 * once, lengths learned) and steps whose every draw misses the decoded-frame
 * cache (`maxCachedBytes` of one video), so each clip costs an ffmpeg run —
 * from a shard, plus copying the member out of the shard to a temporary file.
 * The clips are 2 s H.264 testsrc2 videos at 24 fps, 128×96, read at 32².
 *
 *   nice -n 5 deno run -A bench/video_clips_bench.ts [VIDEOS] [STEPS]
 *
 * Prints wall and CPU seconds (this process and its ffmpeg children) per
 * source and the shard/folder ratio.
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { packTar } from "../core/data/tar.ts";
import { findFfmpeg } from "../core/data/video.ts";
import { openClipBatches } from "../core/train/clips.ts";

const videos = Number(Deno.args[0] ?? 8), steps = Number(Deno.args[1] ?? 12);
const dir = mkdtempSync(join(tmpdir(), "clips-bench-"));
mkdirSync(join(dir, "v"));
const members = [];
for (let i = 0; i < videos; i++) {
  const name = `${String(i).padStart(4, "0")}.mp4`;
  const r = spawnSync(findFfmpeg().ffmpeg, [
    "-v",
    "error",
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=128x96:rate=24:duration=2,hue=h=${i * 40}`,
    "-pix_fmt",
    "yuv420p",
    join(dir, "v", name),
  ]);
  if (r.status !== 0) throw new Error(String(r.stderr));
  members.push({ name, data: new Uint8Array(readFileSync(join(dir, "v", name))) });
}
writeFileSync(join(dir, "clips-000000.tar"), packTar(members));

/** Wall and CPU seconds (self + waited-for children) of `fn`. */
async function timed(fn: () => Promise<void>): Promise<[number, number]> {
  const cpu = () => {
    const u = process.resourceUsage();
    return (u.userCPUTime + u.systemCPUTime) / 1e6 + childCpu();
  };
  const [w0, c0] = [performance.now(), cpu()];
  await fn();
  return [(performance.now() - w0) / 1000, cpu() - c0];
}

/** CPU seconds of reaped children (cutime + cstime of /proc/self/stat). */
function childCpu(): number {
  const f = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return (Number(f[13]) + Number(f[14])) / 100; // fields 16, 17 of stat(5), clock ticks of 1/100 s
}

const per = 3 * 32 * 32 * 4 * 48; // one video's decoded frames at 32²
const rows: [string, number, number, number, number][] = [];
for (const [label, data] of [["folder", join(dir, "v")], ["shard", join(dir, "clips-000000.tar")]]) {
  let clips: Awaited<ReturnType<typeof openClipBatches>> | undefined;
  const [w1, c1] = await timed(async () => {
    clips = await openClipBatches(data, { size: 32, frames: 16, batch: 4, seed: 1, maxCachedBytes: per });
  });
  const [w2, c2] = await timed(async () => {
    for (let s = 0; s < steps; s++) await clips!.at(s);
  });
  rows.push([label, w1, c1, w2, c2]);
}
rmSync(dir, { recursive: true, force: true });
console.log(
  `${videos} videos (2 s, 128×96), ${steps} steps of 4 clips, cache of one video (every draw re-reads)`,
);
console.log("source  first pass wall / cpu s   steps wall / cpu s   ms per clip (wall)");
for (const [l, w1, c1, w2, c2] of rows) {
  console.log(
    `${l.padEnd(7)} ${w1.toFixed(2).padStart(8)} / ${c1.toFixed(2).padEnd(12)} ${
      w2.toFixed(2).padStart(8)
    } / ${c2.toFixed(2).padEnd(9)} ${(1000 * w2 / (steps * 4)).toFixed(1)}`,
  );
}
const [f, s] = rows;
console.log(
  `shard / folder: first pass ${(s[1] / f[1]).toFixed(2)}×, steps ${(s[3] / f[3]).toFixed(2)}× (wall)`,
);
