/**
 * `encode --shard K/N` across separate processes, joined by `encode merge`,
 * writes exactly what one process writes: the same tokens.npy bytes and the
 * same sources, counts and lengths in tokens.json. Also: a folder input is
 * streamed and the outputs are named after the sources.
 */
import { deepStrictEqual, ok } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { photoFolder, run, tmp } from "../cli/_test_run.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const TWO_STAGE = new URL("./testdata/titok/vq_two_stage", import.meta.url).pathname;

async function cli(args: string[]): Promise<void> {
  const p = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const r = await p;
  if (r.code !== 0) throw new Error(`tok1d ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
}

Deno.test("encode --shard K/N in 3 processes + encode merge equals one process", async () => {
  const dir = tmp();
  const photos = join(dir, "photos");
  await photoFolder(photos, 48, ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "chelsea.png"]);
  const common = ["--model", TWO_STAGE, "--threads", "1", "--batch-size", "2"];
  await cli(["encode", ...common, "--out", join(dir, "one"), photos]);
  await Promise.all(
    [0, 1, 2].map((k) =>
      cli(["encode", ...common, "--shard", `${k}/3`, "--out", join(dir, `p${k}`), photos])
    ),
  );
  // Parts given out of order: merge puts them in K order.
  const m = await run([
    "encode",
    "merge",
    "--out",
    join(dir, "all"),
    join(dir, "p2"),
    join(dir, "p0"),
    join(dir, "p1"),
  ]);
  deepStrictEqual(m.code, 0, m.err);
  deepStrictEqual(readFileSync(join(dir, "all", "tokens.npy")), readFileSync(join(dir, "one", "tokens.npy")));
  const one = JSON.parse(readFileSync(join(dir, "one", "tokens.json"), "utf8"));
  const all = JSON.parse(readFileSync(join(dir, "all", "tokens.json"), "utf8"));
  deepStrictEqual(all.sources, one.sources);
  deepStrictEqual(all.tokenCounts, one.tokenCounts);
  deepStrictEqual(all.tokenShape, [5, 1, 8]);
  deepStrictEqual(all.mergedFrom, 3);
  // Each part holds a contiguous block: 1 + 2 + 2 items.
  const sizes = [0, 1, 2].map((k) =>
    JSON.parse(readFileSync(join(dir, `p${k}`, "tokens.json"), "utf8")).tokenShape[0]
  );
  deepStrictEqual(sizes.reduce((a: number, b: number) => a + b, 0), 5);
  // A missing part is refused by name.
  const bad = await run(["encode", "merge", "--out", join(dir, "x"), join(dir, "p0"), join(dir, "p2")]);
  deepStrictEqual(bad.code, 2);
  ok(/parts 1\/3 are missing/.test(bad.err), bad.err);
});

Deno.test("encode --no-resize centre-crops the full-size image (BDD-1D's and ALIT's protocol)", async () => {
  const dir = tmp();
  const photo = new URL("./testdata/photos/chelsea.png", import.meta.url).pathname;
  // The default model's 128 token ids change when the 64-px input does.
  const common = ["encode", "--model", "default", "--threads", "1"];
  deepStrictEqual((await run([...common, "--out", join(dir, "a"), photo])).code, 0);
  const r = await run([...common, "--no-resize", "--out", join(dir, "b"), photo]);
  deepStrictEqual(r.code, 0, r.err);
  const a = readFileSync(join(dir, "a", "tokens.npy")), b = readFileSync(join(dir, "b", "tokens.npy"));
  deepStrictEqual(a.length, b.length);
  ok(!a.equals(b), "a 64-px crop of the full photo is not the resized photo");
});
