import { deepStrictEqual, ok } from "node:assert";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { InceptionFeatures } from "../core/metrics/features.ts";
import { frechetDistance } from "../core/metrics/frechet.ts";
import { imageStatistics } from "../core/metrics/image_stats.ts";
import { readStatistics, writeStatistics } from "../core/metrics/stats_file.ts";
import { writePng } from "../core/data/png.ts";
import { photoFolder, run, tmp } from "./_test_run.ts";

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
function maxRel(a: Float64Array, b: Float64Array) {
  let e = 0, s = 0;
  for (let i = 0; i < b.length; i++) {
    (e = Math.max(e, Math.abs(a[i] - b[i]))), (s = Math.max(s, Math.abs(b[i])));
  }
  return e / s;
}

Deno.test("fid: two folders, stats files and sharded stats agree with the library; bad input exits 2", async () => {
  const dir = tmp();
  const a = join(dir, "a"), b = join(dir, "b");
  mkdirSync(a), mkdirSync(b);
  await photoFolder(a, 48);
  await photoFolder(b, 40, ["coffee.png", "rocket.jpg", "astronaut.png", "heldout/bliznaca.png"]);
  const common = ["--inception", "random:1", "--threads", "2", "--batch-size", "3"];

  const r = await run(["fid", a, b, ...common, "--json"]);
  deepStrictEqual(r.code, 0, r.err);
  const got = JSON.parse(r.out);
  deepStrictEqual(got.images, [4, 4]);
  // The same through the library (pytorch-fid rules: native 48×48 / 40×40 inputs, resized inside the graph).
  const inc = await InceptionFeatures.create("random:1", { threads: 2 });
  const [sa, sb] = [await imageStatistics(a, inc), await imageStatistics(b, inc)];
  await inc.release();
  const want = await frechetDistance(sa.result(), sb.result(), { threads: 2 });
  ok(rel(got.fid, want.fid) < 1e-9, `${got.fid} vs ${want.fid}`);

  // stats of two shards, merged, equal the one-pass statistics; FID from the stats files equals FID from the folders.
  for (const k of [0, 1]) {
    const s = await run([
      "fid",
      "stats",
      a,
      "--out",
      join(dir, `part${k}.npz`),
      "--shard",
      `${k}/2`,
      ...common,
    ]);
    deepStrictEqual(s.code, 0, s.err);
  }
  const m = await run([
    "fid",
    "merge",
    join(dir, "part0.npz"),
    join(dir, "part1.npz"),
    "--out",
    join(dir, "merged.npz"),
  ]);
  deepStrictEqual(m.code, 0, m.err);
  const [whole, merged] = [sa.result(), readStatistics(join(dir, "merged.npz"))];
  deepStrictEqual(merged.count, 4);
  ok(maxRel(merged.mu, whole.mu) < 1e-9 && maxRel(merged.sigma, whole.sigma) < 1e-9, "sharded = one pass");
  writeStatistics(join(dir, "b.npz"), sb.result());
  const f = await run(["fid", join(dir, "merged.npz"), join(dir, "b.npz"), "--json"]); // no Inception needed
  deepStrictEqual(f.code, 0, f.err);
  ok(rel(JSON.parse(f.out).fid, got.fid) < 1e-6, f.out);

  // Bad input names the file or flag and exits 2.
  const none = await run(["fid", a, b, "--threads", "2"]);
  deepStrictEqual(none.code, 2);
  ok(
    /pt_inception-2015-12-05-6726825d\.pth.*github\.com\/mseitzer\/pytorch-fid\/releases/.test(none.err),
    none.err,
  );
  const missing = await run(["fid", join(dir, "nope"), b, ...common]);
  deepStrictEqual(missing.code, 2);
  ok(missing.err.includes("nope"), missing.err);
  const pf = new URL("../tests/testdata/metrics/frechet/small_b_pytorch_fid.npz", import.meta.url).pathname;
  const noCount = await run(["fid", "merge", pf, "--out", join(dir, "x.npz")]);
  deepStrictEqual(noCount.code, 2);
  ok(/num_images/.test(noCount.err), noCount.err);
});

Deno.test("fid: near-constant features (identical blank images) are flagged, not printed as FID 0", async () => {
  const dir = tmp();
  const a = join(dir, "a"), b = join(dir, "b");
  mkdirSync(a), mkdirSync(b);
  const grey = new Uint8Array(32 * 32 * 3).fill(128);
  for (const d of [a, b]) for (const n of ["x", "y", "z"]) await writePng(join(d, `${n}.png`), grey, 32, 32);
  const text = await run(["fid", a, b, "--inception", "random:1"]);
  deepStrictEqual(text.code, 0, text.err);
  deepStrictEqual(text.out, "FID: not meaningful (see the warning)");
  ok(text.err.includes(`warning: the Inception features of ${a} and ${b} are near-constant`), text.err);
  const json = JSON.parse((await run(["fid", a, b, "--inception", "random:1", "--json"])).out);
  deepStrictEqual(json.fid, null);
  ok(json.degenerate.includes("not meaningful"));
});
