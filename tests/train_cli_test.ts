/**
 * `tok1d train` as a user runs it: a process killed with SIGKILL mid-run
 * resumes with --resume to the same loss sequence as an uninterrupted run;
 * the GAN flags are checked and a GAN run logs and draws its terms.
 */
import { deepStrictEqual, ok } from "node:assert";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../cli.ts";
import { run, tmp } from "../cli/_test_run.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const PHOTOS = new URL("./testdata/photos", import.meta.url).pathname;
const args = (out: string) => [
  "train",
  "--model",
  "titok/tiny_vq",
  "--data",
  PHOTOS,
  "--out",
  out,
  "--steps",
  "30",
  "--batch-size",
  "2",
  "--lr",
  "1e-3",
  "--warmup",
  "3",
  "--checkpoint-every",
  "5",
  "--threads",
  "1",
  "--no-perceptual",
  "--json",
];
const losses = (out: string) =>
  readFileSync(join(out, "log.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).loss);

Deno.test("cli train: SIGKILL mid-run, then --resume, reproduces the uninterrupted losses", async () => {
  const full = mkdtempSync(join(tmpdir(), "tok1d-full-"));
  const log = console.log;
  console.log = () => {};
  try {
    deepStrictEqual(await main(args(full)), 0);
  } finally {
    console.log = log;
  }
  const killed = mkdtempSync(join(tmpdir(), "tok1d-killed-"));
  const child = spawn(Deno.execPath(), ["run", "-A", CLI, ...args(killed)], { stdio: "ignore" });
  // Kill it once it has passed a checkpoint but not finished.
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    if (existsSync(join(killed, "log.jsonl")) && losses(killed).length >= 12) break;
  }
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  const before = losses(killed).length;
  ok(before >= 12 && before < 30, `killed after ${before} steps`);
  console.log = () => {};
  try {
    deepStrictEqual(await main([...args(killed), "--resume"]), 0);
  } finally {
    console.log = log;
  }
  deepStrictEqual(losses(killed), losses(full));
  ok(existsSync(join(killed, "model", "model.safetensors")) && existsSync(join(killed, "loss.png")));
});

Deno.test("cli train: from webdataset shards, a stopped run resumes to the uninterrupted losses", async () => {
  const root = mkdtempSync(join(tmpdir(), "tok1d-tree-"));
  for (
    const [cls, files] of [["a", ["chelsea.png", "coffee.png"]], ["b", [
      "astronaut.png",
      "rocket.jpg",
    ]]] as const
  ) {
    mkdirSync(join(root, "train", cls), { recursive: true });
    for (const f of files) copyFileSync(join(PHOTOS, f), join(root, "train", cls, f));
  }
  const shards = mkdtempSync(join(tmpdir(), "tok1d-shards-"));
  const quiet = async (argv: string[]) => {
    const [log, err] = [console.log, console.error];
    console.log = console.error = () => {};
    try {
      return await main(argv);
    } finally {
      [console.log, console.error] = [log, err];
    }
  };
  deepStrictEqual(await quiet(["convert", "imagefolder", root, "--out", shards]), 0);
  const data = join(shards, "train", readdirSync(join(shards, "train")).find((f) => f.endsWith(".tar"))!);
  const run = (out: string, extra: string[]) =>
    quiet([
      "train",
      "--model",
      "titok/tiny_vq",
      "--data",
      data,
      "--out",
      out,
      "--steps",
      "6",
      "--batch-size",
      "2",
      "--checkpoint-every",
      "3",
      "--threads",
      "1",
      "--no-perceptual",
      "--json",
      ...extra,
    ]);
  const full = mkdtempSync(join(tmpdir(), "tok1d-sfull-"));
  const part = mkdtempSync(join(tmpdir(), "tok1d-spart-"));
  deepStrictEqual(await run(full, []), 0);
  deepStrictEqual(await run(part, ["--stop-after", "4"]), 0);
  deepStrictEqual(losses(part).length, 4);
  deepStrictEqual(await run(part, ["--resume"]), 0);
  deepStrictEqual(losses(part), losses(full));
});

Deno.test("cli train: --gan on stage1, discriminator flags under --no-gan, a bad --accumulate, --schedule or --crop-scales are refused naming the flag", async () => {
  const base = ["train", "--data", PHOTOS, "--out", tmp(), "--steps", "1", "--no-perceptual"];
  const stage1 = await run([...base, "--model", "titok/tiny", "--stage", "stage1", "--gan"]);
  deepStrictEqual(stage1.code, 2);
  ok(/--gan: stage stage1 trains without a discriminator/.test(stage1.err), stage1.err);
  const off = await run([...base, "--model", "titok/tiny_vq", "--no-gan", "--discriminator-start", "3"]);
  deepStrictEqual(off.code, 2);
  ok(/--discriminator-start: .*no GAN/.test(off.err), off.err);
  const bad = await run([...base, "--model", "titok/tiny_vq", "--discriminator-weight", "-1"]);
  deepStrictEqual(bad.code, 2);
  ok(/--discriminator-weight: expected a non-negative number/.test(bad.err), bad.err);
  const acc = await run([...base, "--model", "titok/tiny_vq", "--accumulate", "0"]);
  deepStrictEqual(acc.code, 2);
  ok(/--accumulate: expected a positive integer/.test(acc.err), acc.err);
  const schedule = await run([...base, "--model", "titok/tiny_vq", "--schedule", "step"]);
  deepStrictEqual(schedule.code, 2);
  ok(/'--schedule <kind>' argument 'step'/.test(schedule.err), schedule.err);
  const scales = await run([...base, "--model", "titok/tiny_vq", "--crop-scales", "1,0.5"]);
  deepStrictEqual(scales.code, 2);
  ok(/--crop-scales 1,0.5: .*'0.5' is not one/.test(scales.err), scales.err);
  const streamed = await run([
    ...["train", "--data", "shards-{000000..000001}.tar", "--out", tmp(), "--steps", "1", "--no-perceptual"],
    ...["--model", "titok/tiny_vq", "--crop-scales", "1,2"],
  ]);
  deepStrictEqual(streamed.code, 2);
  ok(/--crop-scales: applies to a folder of photos/.test(streamed.err), streamed.err);
});

Deno.test("cli train: a GAN run logs the discriminator terms from --discriminator-start on and draws them", async () => {
  const out = tmp();
  const gan = [
    ...[
      "train",
      "--model",
      "titok/tiny_vq",
      "--data",
      PHOTOS,
      "--out",
      out,
      "--steps",
      "4",
      "--batch-size",
      "2",
    ],
    ...["--warmup", "1", "--checkpoint-every", "2", "--threads", "1", "--no-perceptual", "--json"],
    ...["--discriminator-start", "2", "--discriminator-weight", "0.5"],
  ];
  deepStrictEqual((await run(gan)).code, 0);
  const log = readFileSync(join(out, "log.jsonl"), "utf8").split("\n").filter(Boolean).map((l) =>
    JSON.parse(l)
  );
  deepStrictEqual(log.map((l) => "d.hinge" in l.terms), [false, false, true, true]);
  for (const l of log.slice(2)) {
    for (const k of ["gan", "d.hinge", "d.lecam", "d.logits_real", "d.logits_fake"]) {
      ok(Number.isFinite(l.terms[k]));
    }
    const parts = l.terms.mse + l.terms.commitment + l.terms.codebook + 0.5 * l.terms.gan;
    ok(Math.abs(l.loss - parts) < 1e-5 * Math.abs(l.loss), `${l.loss} vs ${parts}`);
  }
  // Two panels: losses (log scale) over the adversarial terms (linear).
  const png = readFileSync(join(out, "loss.png"));
  deepStrictEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [720, 700]);
  const other = await run([...gan.slice(0, -1), "0.1", "--resume"]);
  deepStrictEqual(other.code, 2);
  ok(/--resume: .* GAN settings/.test(other.err), other.err);
});
