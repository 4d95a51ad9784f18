/**
 * `tok1d train` as a user runs it: a process killed with SIGKILL mid-run
 * resumes with --resume to the same loss sequence as an uninterrupted run.
 */
import { deepStrictEqual, ok } from "node:assert";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../cli.ts";

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
