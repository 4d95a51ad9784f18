import { deepStrictEqual, ok } from "node:assert";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadImages } from "../core/data/batch.ts";
import { CodebookUsage } from "../core/metrics/codebook.ts";
import { quantize8bit } from "../core/metrics/evaluate.ts";
import { psnr } from "../core/metrics/psnr.ts";
import { ssim } from "../core/metrics/ssim.ts";
import { loadTokenizer } from "../core/tokenizer.ts";
import { writePng } from "../core/data/png.ts";
import { buildInception } from "../core/metrics/inception.ts";
import { randomInceptionWeights } from "../core/metrics/inception_weights.ts";
import { writeSafetensors } from "../core/weights/safetensors.ts";
import { photoFolder, run, tmp } from "./_test_run.ts";

const mean = (v: Float64Array) => v.reduce((a, x) => a + x, 0) / v.length;
const close = (a: number, b: number, tol: number, what: string) =>
  ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

Deno.test("eval: PSNR, SSIM and codebook usage equal the library's on the same reconstructions", async () => {
  const dir = tmp();
  const files = await photoFolder(dir, 40); // the reader resizes 40 → 32 and centre-crops, as the library does
  const r = await run([
    "eval",
    "--model",
    "titok/tiny_vq",
    "--random",
    "--data",
    dir,
    "--no-fid",
    "--json",
    "--threads",
    "2",
  ]);
  deepStrictEqual(r.code, 0, r.err);
  const got = JSON.parse(r.out);

  const tok = await loadTokenizer("titok/tiny_vq", { random: true, threads: 2 });
  const x = await loadImages(files, 32);
  const rec = await tok.reconstruct(x);
  const fake = quantize8bit(rec.images);
  const usage = new CodebookUsage(64);
  usage.add(rec.tokens.tokens);
  await tok.release();
  deepStrictEqual([got.data.images, got.metrics.tokensPerImage, got.metrics.rfid], [4, 8, null]);
  close(got.metrics.psnr, mean(psnr(x, fake)), 1e-12, "psnr");
  close(got.metrics.ssim, mean(ssim(x, fake)), 1e-12, "ssim");
  deepStrictEqual(got.metrics.codebook, usage.result());
  ok(got.model.randomWeights && /TiTok VQGANEvaluator/.test(got.protocol.source));
});

Deno.test("eval: --shard parts merged by eval merge equal one run; --report writes the files", async () => {
  const dir = tmp(), data = join(dir, "data");
  mkdirSync(data);
  await photoFolder(data, 32);
  const common = [
    "--model",
    "titok/tiny_vq",
    "--random",
    "--data",
    data,
    "--inception",
    "random:1",
    "--threads",
    "2",
  ];
  const whole = await run(["eval", ...common, "--json", "--batch-size", "3"]);
  deepStrictEqual(whole.code, 0, whole.err);
  for (const k of [0, 1]) {
    const p = await run(["eval", ...common, "--shard", `${k}/2`, "--out", join(dir, `part${k}`)]);
    deepStrictEqual(p.code, 0, p.err);
  }
  const rep = join(dir, "report");
  const merged = await run([
    "eval",
    "merge",
    join(dir, "part0"),
    join(dir, "part1"),
    "--report",
    rep,
    "--json",
  ]);
  deepStrictEqual(merged.code, 0, merged.err);
  const [a, b] = [JSON.parse(whole.out).metrics, JSON.parse(merged.out).metrics];
  close(b.psnr, a.psnr, 1e-12, "psnr");
  close(b.ssim, a.ssim, 1e-12, "ssim");
  close(b.rfid, a.rfid, 1e-6, "rfid");
  deepStrictEqual(b.codebook, a.codebook);
  for (const f of ["metrics.json", "grid.png", "report.html"]) ok(existsSync(join(rep, f)), f);
  deepStrictEqual(JSON.parse(readFileSync(join(rep, "metrics.json"), "utf8")).metrics, b);
  ok(readFileSync(join(rep, "report.html"), "utf8").includes("RANDOM Inception weights"));
});

Deno.test("eval: bad input exits 2 naming the flag or file", async () => {
  const noInception = await run(["eval", "--model", "titok/tiny_vq", "--random", "--data", tmp()]);
  deepStrictEqual(noInception.code, 2);
  ok(/pt_inception-2015-12-05-6726825d\.pth/.test(noInception.err), noInception.err);
  const noData = await run(["eval", "--model", "titok/tiny_vq", "--random", "--no-fid"]);
  deepStrictEqual(noData.code, 2);
  ok(/--data/.test(noData.err), noData.err);
  const shard = await run([
    "eval",
    "--model",
    "titok/tiny_vq",
    "--random",
    "--no-fid",
    "--data",
    tmp(),
    "--shard",
    "0/2",
  ]);
  deepStrictEqual(shard.code, 2);
  ok(/--out/.test(shard.err), shard.err);
  const merge = await run(["eval", "merge", tmp()]);
  deepStrictEqual(merge.code, 2);
  ok(/eval_state\.json/.test(merge.err), merge.err);
});

Deno.test("eval: a non-official Inception file and near-constant features are flagged on stderr, in metrics.json and the report", async () => {
  const dir = tmp(), data = join(dir, "data"), report = join(dir, "report");
  mkdirSync(data);
  const grey = new Uint8Array(32 * 32 * 3).fill(100);
  for (const n of ["a", "b", "c"]) await writePng(join(data, `${n}.png`), grey, 32, 32);
  const inception = join(dir, "inception.safetensors");
  writeSafetensors(inception, randomInceptionWeights(buildInception(), 1));
  const args = ["eval", "--model", "titok/tiny_vq", "--random", "--data", data, "--inception", inception];
  const r = await run([...args, "--report", report]);
  deepStrictEqual(r.code, 0, r.err);
  ok(r.out.includes("rFID: not meaningful (see the warning)"), r.out);
  ok(r.err.includes(`warning: Inception weights ${inception} are not the official`), r.err);
  ok(
    r.err.includes(
      "warning: the Inception features of the originals and the reconstructions are near-constant",
    ),
  );
  const metrics = JSON.parse(readFileSync(join(report, "metrics.json"), "utf8"));
  deepStrictEqual(metrics.metrics.rfid, null);
  deepStrictEqual(metrics.warnings.length, 2);
  ok(metrics.warnings[0].includes("not the official") && metrics.warnings[1].includes("near-constant"));
  const html = readFileSync(join(report, "report.html"), "utf8");
  ok(
    html.includes('<p class="note">Inception weights') &&
      html.includes("not meaningful (near-constant features)"),
  );
});
