import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PHOTOS } from "../core/data/_dataset_fixture.ts";
import { readManifest } from "../core/data/manifest.ts";
import { main } from "../cli.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), "tok1d-cli-convert-"));
const root = join(tmp, "photos");
// 240 inputs in 3 classes (symlinks to the 4 photos): enough work for a resize run to be killed midway.
for (let c = 0; c < 3; c++) {
  mkdirSync(join(root, `class${c}`), { recursive: true });
  for (let i = 0; i < 80; i++) {
    const photo = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"][(i + c) % 4];
    symlinkSync(
      join(PHOTOS, photo),
      join(root, `class${c}`, `img${String(i).padStart(3, "0")}.${photo.split(".")[1]}`),
    );
  }
}
const args = (out: string) => [
  "convert",
  "imagefolder",
  root,
  "--out",
  out,
  "--resize",
  "64",
  "--shard-size",
  "10",
  "--concurrency",
  "1",
];

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir).sort().map((
      f,
    ) => [f, createHash("sha256").update(readFileSync(join(dir, f))).digest("hex")]),
  );
}

function spawn(cliArgs: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-ffi",
      "--allow-env",
      "--allow-sys",
      CLI,
      ...cliArgs,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("cli convert: SIGKILL mid-run, rerun → byte-identical shards and manifest, exact counts", async () => {
  const out = join(tmp, "out");
  assert.equal(await main(args(out)), 0);
  const reference = snapshot(out);
  assert.equal(Object.keys(reference).filter((f) => f.endsWith(".tar")).length, 24);
  rmSync(out, { recursive: true });

  const child = spawn(args(out));
  // Kill once a few shards are complete (the manifest lists them) and the run is not done.
  const deadline = Date.now() + 60_000;
  let listed = 0;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    try {
      listed = readManifest(join(out, "manifest.json")).shards.length;
    } catch { /* not written yet, or being renamed */ }
    if (listed >= 3) break;
  }
  child.kill("SIGKILL");
  const status = await child.status;
  await child.stdout.cancel();
  await child.stderr.cancel();
  assert.equal(status.signal, "SIGKILL", "the run was still going when killed");
  const killed = readManifest(join(out, "manifest.json"));
  assert.equal(killed.complete, false);
  assert.ok(killed.shards.length >= 3 && killed.shards.length < 24, `${killed.shards.length} shards listed`);

  const rerun = spawn(args(out));
  const [rerunStatus, err] = await Promise.all([rerun.status, new Response(rerun.stderr).text()]);
  await rerun.stdout.cancel();
  assert.equal(rerunStatus.code, 0, err);
  assert.deepEqual(snapshot(out), reference);
  const m = readManifest(join(out, "manifest.json"));
  assert.deepEqual(m.counts, { input: 240, written: 240, skipped: 0 });
  assert.deepEqual(m.classes!.map((c) => c.written), [80, 80, 80]);
});

Deno.test("cli convert: --shard parts + merge equal an unsplit run; bad flags exit 2", async () => {
  const whole = join(tmp, "whole"), split = join(tmp, "split");
  const copy = (
    out: string,
  ) => ["convert", "imagefolder", root, "--out", out, "--shard-size", "50", "--json"];
  assert.equal(await main(copy(whole)), 0);
  for (const k of [0, 1]) assert.equal(await main([...copy(split), "--shard", `${k}/2`]), 0);
  assert.ok(!existsSync(join(split, "manifest.json")));
  assert.equal(await main(["convert", "merge", split]), 0);
  const a = readManifest(join(whole, "manifest.json")), b = readManifest(join(split, "manifest.json"));
  assert.deepEqual({ ...a, commands: [] }, { ...b, commands: [] });
  assert.equal(b.commands.length, 2);
  for (const s of a.shards) {
    assert.deepEqual(readFileSync(join(split, s.name)), readFileSync(join(whole, s.name)));
  }

  assert.equal(await main([...copy(join(tmp, "bad")), "--shard", "2/2"]), 2);
  assert.equal(await main([...copy(join(tmp, "bad")), "--resize", "0"]), 2);
  assert.equal(await main([...copy(join(tmp, "bad")), "--subset", "imagenet7"]), 2);
  assert.equal(await main([...copy(join(tmp, "bad")), "--mtime", "yesterday"]), 2);
  assert.equal(await main(["convert", "merge", join(tmp, "nothing-here")]), 2);
  assert.equal(await main([...copy(whole), "--shard-size", "7"]), 2, "folder holds another job");
});

Deno.test({ name: "cli convert: cleanup", fn: () => rmSync(tmp, { recursive: true, force: true }) });
