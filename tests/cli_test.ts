/**
 * The CLI contract: files written by encode/decode/reconstruct/export, exit
 * code 0 on success and 2 with a message naming the flag/file for bad input.
 */
import { deepStrictEqual, ok } from "node:assert";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, tmp } from "../cli/_test_run.ts";
import { readNpy } from "../core/data/npy.ts";
import { samplePhotos } from "../cli/commands.ts";

const TWO_STAGE = new URL("./testdata/titok/vq_two_stage", import.meta.url).pathname;

Deno.test("cli: encode → decode round trip writes the contract's files", async () => {
  const dir = tmp();
  const photos = samplePhotos().slice(0, 3);
  const enc = await run([
    "encode",
    "--model",
    TWO_STAGE,
    "--out",
    join(dir, "enc"),
    "--threads",
    "1",
    ...photos,
  ]);
  deepStrictEqual(enc.code, 0, enc.err);
  const tokens = readNpy(join(dir, "enc", "tokens.npy"));
  deepStrictEqual(tokens.dtype, "int64");
  deepStrictEqual(tokens.shape, [3, 1, 8]);
  const side = JSON.parse(readFileSync(join(dir, "enc", "tokens.json"), "utf8"));
  deepStrictEqual(side.family, "titok");
  deepStrictEqual(side.tokenShape, [3, 1, 8]);
  deepStrictEqual(side.sources.length, 3);
  ok(side.sources[0].endsWith(photos[0].split("/").pop()!), "sources keep input order");
  const dec = await run([
    "decode",
    "--model",
    TWO_STAGE,
    "--tokens",
    join(dir, "enc", "tokens.npy"),
    "--out",
    join(dir, "dec"),
    "--npy",
  ]);
  deepStrictEqual(dec.code, 0, dec.err);
  // Decoded images are named after the sources recorded in tokens.json.
  for (const f of ["astronaut.png", "chelsea.png", "coffee.png"]) ok(existsSync(join(dir, "dec", f)), f);
  const images = readNpy(join(dir, "dec", "images.npy"));
  deepStrictEqual(images.shape, [3, 3, 32, 32]);
  deepStrictEqual(images.dtype, "float32");
  // --tokens also takes the folder encode wrote (as the help and README say), with the same images.
  const folder = await run([
    "decode",
    "--model",
    TWO_STAGE,
    "--tokens",
    join(dir, "enc"),
    "--out",
    join(dir, "d2"),
  ]);
  deepStrictEqual(folder.code, 0, folder.err);
  for (const f of ["astronaut.png", "chelsea.png", "coffee.png"]) {
    deepStrictEqual(readFileSync(join(dir, "d2", f)), readFileSync(join(dir, "dec", f)), f);
  }
  const empty = await run([
    "decode",
    "--model",
    TWO_STAGE,
    "--tokens",
    join(dir, "dec"),
    "--out",
    join(dir, "d3"),
  ]);
  deepStrictEqual(empty.code, 2);
  ok(empty.err.includes(`--tokens ${join(dir, "dec")}: the folder has no tokens.npy`), empty.err);
});

Deno.test("cli: reconstruct writes grid.png and --json gives machine output", async () => {
  const dir = tmp();
  const r = await run([
    "reconstruct",
    "--model",
    TWO_STAGE,
    "--out",
    dir,
    "--json",
    ...samplePhotos().slice(0, 2),
  ]);
  deepStrictEqual(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  ok(existsSync(out.grid));
  ok(Number.isFinite(out.psnr));
  // Reconstructions are named after their sources, in images/ beside (not holding) the grid.
  deepStrictEqual(readdirSync(join(dir, "images")).sort(), ["astronaut.png", "chelsea.png"]);
  deepStrictEqual(out.perImage.length, 2);
  ok(out.perImage[0].psnr <= out.perImage[1].psnr, "worst first");
  // PNG signature
  deepStrictEqual([...readFileSync(out.grid).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
});

Deno.test("cli: list and info succeed; info reports the token shape", async () => {
  deepStrictEqual((await run(["list"])).code, 0);
  const r = await run(["info", "--model", "titok/tiny_vae", "--random", "--json"]);
  deepStrictEqual(r.code, 0, r.err);
  const info = JSON.parse(r.out);
  deepStrictEqual(info.tokenShape, [8, 1, 8]);
  deepStrictEqual(info.randomWeights, true);
  // From the config alone (no weights): shapes and the parameter count.
  const bare = await run(["info", "--model", "titok/tiny_vae", "--json"]);
  deepStrictEqual(bare.code, 0, bare.err);
  const b = JSON.parse(bare.out);
  deepStrictEqual([b.tokenShape, b.parameters, b.weights], [[8, 1, 8], info.parameters, null]);
});

const bad: [string, string[], RegExp][] = [
  [
    "unknown device",
    ["encode", "--model", "titok/tiny", "--random", "--device", "tpu"],
    /'--device <name>' argument 'tpu'/,
  ],
  [
    "absent GPU provider",
    ["encode", "--model", "titok/tiny", "--random", "--device", "cuda", "--out", tmp(), samplePhotos()[0]],
    /--device cuda.*not installed/,
  ],
  ["missing --model", ["encode", "--out", "/tmp/x", "a.png"], /--model/],
  ["unknown preset", ["info", "--model", "titok/nope", "--random"], /--model titok\/nope/],
  ["ambiguous preset", ["info", "--model", "tiny", "--random"], /ambiguous.*titok\/tiny/],
  [
    "ambiguous recipe name",
    ["train", "--model", "small", "--data", samplePhotos()[0], "--out", "/tmp/tok1d-x-small"],
    /--model small: ambiguous.*alit\/small or bdd_1d\/small or elastictok\/small or marvel\/small or titok\/small/,
  ],
  // Named before eval says what FID needs.
  [
    "ambiguous preset in eval",
    ["eval", "--model", "small", "--data", samplePhotos()[0]],
    /--model small: ambiguous/,
  ],
  ["no weights", ["export", "--model", "titok/tiny", "--out", "/tmp/tok1d-x-export"], /--weights/],
  [
    "missing image",
    ["encode", "--model", TWO_STAGE, "--out", "/tmp/tok1d-x", "/nonexistent.png"],
    /nonexistent\.png/,
  ],
  ["bad --threads", ["encode", "--model", "titok/tiny", "--random", "--threads", "two"], /--threads/],
  [
    "missing --weights file",
    ["info", "--model", "titok/tiny", "--weights", "/nope.bin"],
    /--weights \/nope\.bin/,
  ],
];
for (const [what, args, pattern] of bad) {
  Deno.test(`cli: ${what} → exit 2 with a message naming it`, async () => {
    const r = await run(args);
    deepStrictEqual(r.code, 2, `exit code; stderr: ${r.err}`);
    ok(pattern.test(r.err), `stderr should match ${pattern}: ${r.err}`);
  });
}

Deno.test("cli: tokens of the wrong shape → exit 2 naming the tokens", async () => {
  const dir = tmp();
  const f = join(dir, "t.npy");
  // A (1, 1, 5) int64 .npy: this model wants (B, 1, 8).
  const header = "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1, 5), }";
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = header + " ".repeat(pad) + "\n";
  const bytes = new Uint8Array(10 + h.length + 40);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 255, h.length >> 8]);
  bytes.set(new TextEncoder().encode(h), 10);
  writeFileSync(f, bytes);
  const r = await run(["decode", "--model", TWO_STAGE, "--tokens", f, "--out", join(dir, "o")]);
  deepStrictEqual(r.code, 2, r.err);
  ok(/tokens/.test(r.err), r.err);
});

Deno.test("cli: marvel decode --depths 1 decodes the coarsest depth of the same tokens", async () => {
  const dir = tmp();
  const photos = samplePhotos().slice(0, 2);
  const common = ["--model", "marvel/tiny", "--random", "--threads", "1"];
  deepStrictEqual((await run(["encode", ...common, "--out", join(dir, "e"), ...photos])).code, 0);
  const tokens = readNpy(join(dir, "e", "tokens.npy"));
  const depth = tokens.shape[tokens.shape.length - 1];
  ok(depth >= 2, "tiny MARVEL has several depths");
  const r = await run([
    "decode",
    ...common,
    "--tokens",
    join(dir, "e", "tokens.npy"),
    "--out",
    join(dir, "d"),
    "--depths",
    "1",
    "--npy",
  ]);
  deepStrictEqual(r.code, 0, r.err);
  deepStrictEqual(readNpy(join(dir, "d", "images.npy")).shape.slice(0, 2), [2, 3]);
  const bad = await run([
    "decode",
    ...common,
    "--tokens",
    join(dir, "e", "tokens.npy"),
    "--out",
    join(dir, "x"),
    "--depths",
    String(depth + 1),
  ]);
  deepStrictEqual(bad.code, 2);
  ok(/--depths/.test(bad.err), bad.err);
});
