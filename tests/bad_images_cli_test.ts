/**
 * One bad-image policy for every command that reads images: a corrupt file
 * among good ones is skipped by `encode`, `reconstruct`, `eval` and `train`
 * with the same warning (file and reason), counted in `--json`; `--strict`
 * stops each of them with exit 2 naming the file.
 */
import { deepStrictEqual, ok } from "node:assert";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { photoFolder, run, tmp } from "../cli/_test_run.ts";

const data = tmp();
await photoFolder(data, 40);
const corrupt = join(data, "broken.png");
// A PNG signature followed by garbage: sniffed as PNG, fails to decode.
writeFileSync(
  corrupt,
  new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8]),
);

const M = ["--model", "titok/tiny_vq", "--random", "--threads", "1"];
const lines: Record<string, (out: string) => string[]> = {
  encode: (out) => ["encode", ...M, "--out", out, data],
  reconstruct: (out) => ["reconstruct", ...M, "--out", out, data],
  eval: (out) => ["eval", ...M, "--data", data, "--no-fid", "--report", out],
  train: (out) => [
    "train",
    "--model",
    "titok/tiny_vq",
    "--data",
    data,
    "--out",
    out,
    "--steps",
    "1",
    "--batch-size",
    "2",
    "--threads",
    "1",
    "--no-perceptual",
  ],
};

Deno.test("bad images: encode, reconstruct, eval and train skip a corrupt file alike and count it in --json", async () => {
  for (const [command, line] of Object.entries(lines)) {
    const out = join(tmp(), "out");
    const r = await run([...line(out), "--json"]);
    deepStrictEqual(r.code, 0, `${command}: ${r.err}`);
    const warnings = r.err.split("\n").filter((l) => l.startsWith("warning: skipped bad image"));
    deepStrictEqual(warnings.length, 1, `${command}:\n${r.err}`);
    ok(warnings[0].startsWith(`warning: skipped bad image ${corrupt}: `), `${command}: ${warnings[0]}`);
    ok(r.err.includes("skipped 1 bad image (see the warnings above)"), `${command}:\n${r.err}`);
    const json = JSON.parse(r.out);
    deepStrictEqual(json.badImages.count, 1, command);
    deepStrictEqual(json.badImages.files[0].source, corrupt, command);
    ok(json.badImages.files[0].reason.length > 0);
    if (command === "eval") {
      deepStrictEqual(json.data.images, 4);
      ok(readFileOk(join(out, "report.html")).includes("1 bad image was skipped: " + corrupt));
    }
  }
});

Deno.test("bad images: --strict stops encode, reconstruct, eval and train with exit 2 naming the file", async () => {
  for (const [command, line] of Object.entries(lines)) {
    const out = join(tmp(), "out");
    const r = await run([...line(out), "--strict"]);
    deepStrictEqual(r.code, 2, `${command}: ${r.err}`);
    ok(r.err.includes(`tok1d: error: ${corrupt}: `), `${command}:\n${r.err}`);
    ok(r.err.includes("(--strict stops at the first bad image)"), `${command}:\n${r.err}`);
    ok(!existsSync(join(out, "tokens.npy")), `${command}: wrote tokens despite --strict`);
  }
});

function readFileOk(path: string): string {
  return Deno.readTextFileSync(path);
}

Deno.test("bad images: eval --shard parts merge, the skipped files of every part listed once", async () => {
  const dir = tmp();
  const common = [...M, "--data", data, "--no-fid"];
  for (const k of [0, 1]) {
    const p = await run(["eval", ...common, "--shard", `${k}/2`, "--out", join(dir, `part${k}`)]);
    deepStrictEqual(p.code, 0, p.err);
  }
  const merged = await run(["eval", "merge", join(dir, "part0"), join(dir, "part1"), "--json"]);
  deepStrictEqual(merged.code, 0, merged.err);
  const json = JSON.parse(merged.out);
  deepStrictEqual(json.data.images, 4);
  deepStrictEqual(json.badImages.count, 1);
  deepStrictEqual(json.badImages.files[0].source, corrupt);
});
