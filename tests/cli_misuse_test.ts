/**
 * The misuse table: every subcommand × (missing argument, unknown flag, bad
 * choice, bad number, `--out` on a file, a missing input) exits 2 with a
 * message naming the culprit, before any work (no model is built: each case
 * fails in parsing or in the pre-flight checks). Cells a command has no flag
 * for are null; `list` and `demo` take no argument, so their first column is
 * an excess one. Then the hostile inputs of issue 12: bad configs, empty or
 * non-finite token files, non-finite statistics, empty datasets.
 */
import { deepStrictEqual, ok } from "node:assert";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, tmp } from "../cli/_test_run.ts";
import { writeNpy } from "../core/data/npy.ts";
import { writeStatistics } from "../core/metrics/stats_file.ts";
import { setConfigPolicy } from "../core/config.ts";
import { resolveModel } from "../core/resolve.ts";

const PHOTOS_DIR = new URL("./testdata/photos/", import.meta.url).pathname;
const photos = readdirSync(PHOTOS_DIR).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().map((f) =>
  join(PHOTOS_DIR, f)
);
const dir = tmp();
const FILE = join(dir, "a-file");
writeFileSync(FILE, "not a folder");
const OUT = join(dir, "out");
const NOPE = join(dir, "nope");
const TOKENS = join(dir, "tokens.npy");
writeNpy(TOKENS, { dtype: "int64", shape: [1, 1, 8], data: new BigInt64Array(8) });
const M = ["--model", "titok/tiny", "--random"];
const I = ["--inception", "random"];

type Case = [args: string[], culprit: RegExp] | null;
const COLUMNS = [
  "missing argument",
  "unknown flag",
  "bad choice",
  "bad number",
  "--out on a file",
  "missing input",
];

const TABLE: Record<string, Case[]> = {
  list: [
    [["list", "extra"], /too many arguments for 'list'/],
    [["list", "--bogus"], /unknown option '--bogus'/],
    null,
    null,
    null,
    null,
  ],
  info: [
    [["info"], /--model: required/],
    [["info", ...M, "--bogus"], /unknown option '--bogus'/],
    null, // info builds no session: it has no --device
    [["info", ...M, "--seed", "abc"], /--seed: expected an integer seed.*'abc'/],
    null,
    [["info", ...M, "--weights", NOPE], /--weights .*nope: no such file or folder/],
  ],
  encode: [
    [["encode", ...M, "--out", OUT], /missing required argument 'inputs'/],
    [["encode", ...M, "--out", OUT, "--bogus", photos[0]], /unknown option '--bogus'/],
    [["encode", ...M, "--out", OUT, "--device", "gpu9", photos[0]], /'--device <name>' argument 'gpu9'/],
    [["encode", ...M, "--out", OUT, "--threads", "two", photos[0]], /--threads: expected a positive integer/],
    [["encode", ...M, "--out", FILE, photos[0]], /--out .*a-file: exists and is not a folder/],
    [
      ["encode", ...M, "--out", OUT, photos[0], NOPE + ".png"],
      /<inputs> .*nope\.png: no such file or folder/,
    ],
  ],
  decode: [
    [["decode", ...M, "--out", OUT], /--tokens: required/],
    [["decode", ...M, "--out", OUT, "--tokens", TOKENS, "--bogus"], /unknown option '--bogus'/],
    [["decode", ...M, "--out", OUT, "--tokens", TOKENS, "--device", "x"], /'--device <name>' argument 'x'/],
    [["decode", ...M, "--out", OUT, "--tokens", TOKENS, "--depths", "1.5"], /--depths: expected a positive/],
    [["decode", ...M, "--out", join(FILE, "sub"), "--tokens", TOKENS], /a-file is a file, not a folder/],
    [["decode", ...M, "--out", OUT, "--tokens", NOPE + ".npy"], /--tokens .*nope\.npy: no such file/],
  ],
  reconstruct: [
    [["reconstruct", ...M, photos[0]], /--out: required/],
    [["reconstruct", ...M, "--out", OUT, "--bogus", photos[0]], /unknown option '--bogus'/],
    [["reconstruct", ...M, "--out", OUT, "--device", "gpu9", photos[0]], /argument 'gpu9'/],
    [
      ["reconstruct", ...M, "--out", OUT, "--batch-size", "0", photos[0]],
      /--batch-size: expected a positive/,
    ],
    [["reconstruct", ...M, "--out", FILE, photos[0]], /--out .*a-file: exists and is not a folder/],
    [["reconstruct", ...M, "--out", OUT, NOPE + ".jpg"], /<inputs> .*nope\.jpg: no such file or folder/],
  ],
  export: [
    [["export", ...M], /--out: required/],
    [["export", ...M, "--out", OUT, "--bogus"], /unknown option '--bogus'/],
    null, // export builds no session: it has no --device
    [["export", ...M, "--out", OUT, "--seed", "-1"], /--seed: expected an integer seed/],
    [["export", ...M, "--out", FILE], /--out .*a-file: exists and is not a folder/],
    [["export", "--model", "titok/tiny", "--weights", NOPE, "--out", OUT], /--weights .*nope: no such/],
  ],
  demo: [
    [["demo", "extra"], /too many arguments for 'demo'/],
    [["demo", "--bogus"], /unknown option '--bogus'/],
    [["demo", "--device", "gpu9"], /argument 'gpu9'/],
    [["demo", "--threads", "NaN"], /--threads: expected a positive integer/],
    [["demo", "--out", FILE], /--out .*a-file: exists and is not a folder/],
    [["demo", "--model", NOPE + ".yaml"], /--model .*nope\.yaml: no such folder, file or preset/],
  ],
  train: [
    [["train", "--model", "titok/tiny", "--out", OUT], /--data: required/],
    [["train", "--model", "titok/tiny", "--data", dir, "--out", OUT, "--bogus"], /unknown option '--bogus'/],
    [
      ["train", "--model", "titok/tiny", "--data", dir, "--out", OUT, "--init-scheme", "he"],
      /'--init-scheme <scheme>' argument 'he'/,
    ],
    [
      ["train", "--model", "titok/tiny", "--data", dir, "--out", OUT, "--lr", "fast"],
      /--lr: expected a non-negative number/,
    ],
    [
      ["train", "--model", "titok/tiny", "--data", dir, "--out", FILE],
      /--out .*a-file: exists and is not a folder/,
    ],
    [
      ["train", "--model", "titok/tiny", "--data", NOPE, "--out", OUT],
      /--data .*nope: no such file or folder/,
    ],
  ],
  eval: [
    [["eval", ...M, "--no-fid"], /--data: required/],
    [["eval", ...M, "--data", PHOTOS_DIR, "--bogus"], /unknown option '--bogus'/],
    [["eval", ...M, "--data", PHOTOS_DIR, "--protocol", "bogus"], /'--protocol <name>' argument 'bogus'/],
    [["eval", ...M, "--data", PHOTOS_DIR, "--no-fid", "--limit", "1e"], /--limit: expected a positive/],
    [
      ["eval", ...M, "--data", PHOTOS_DIR, "--no-fid", "--report", FILE],
      /--report .*a-file: exists and is not/,
    ],
    [["eval", ...M, "--data", NOPE, "--no-fid"], /--data .*nope: no such file or folder/],
  ],
  "eval merge": [
    [["eval", "merge"], /missing required argument 'parts'/],
    [["eval", "merge", "--bogus", dir], /unknown option '--bogus'/],
    [["eval", "merge", dir, "--device", "gpu9"], /argument 'gpu9'/],
    [["eval", "merge", dir, "--threads", "-2"], /--threads: expected a positive integer/],
    [["eval", "merge", dir, "--report", FILE], /--report .*a-file: exists and is not a folder/],
    [["eval", "merge", NOPE], /<parts> .*nope: no such folder/],
  ],
  fid: [
    [["fid", PHOTOS_DIR, ...I], /missing required argument 'b'/],
    [["fid", PHOTOS_DIR, PHOTOS_DIR, "--bogus"], /unknown option '--bogus'/],
    [["fid", PHOTOS_DIR, PHOTOS_DIR, "--protocol", "bogus"], /'--protocol <name>' argument 'bogus'/],
    [["fid", PHOTOS_DIR, PHOTOS_DIR, ...I, "--size", "big"], /--size: expected a positive integer/],
    null,
    [["fid", PHOTOS_DIR, NOPE, ...I], /<b> .*nope: no such file or folder/],
  ],
  "fid stats": [
    [["fid", "stats", "--out", join(OUT, "s.npz"), ...I], /missing required argument 'images'/],
    [["fid", "stats", PHOTOS_DIR, "--out", join(OUT, "s.npz"), "--bogus"], /unknown option '--bogus'/],
    [["fid", "stats", PHOTOS_DIR, "--out", join(OUT, "s.npz"), "--device", "tpu"], /argument 'tpu'/],
    [
      ["fid", "stats", PHOTOS_DIR, "--out", join(OUT, "s.npz"), "--shard", "3/2"],
      /--shard: K must be in 0\.\.1/,
    ],
    [["fid", "stats", PHOTOS_DIR, "--out", join(FILE, "s.npz"), ...I], /a-file is a file, not a folder/],
    [["fid", "stats", NOPE, "--out", join(OUT, "s.npz"), ...I], /<images> .*nope: no such file or folder/],
  ],
  "fid merge": [
    [["fid", "merge", "--out", join(OUT, "m.npz")], /missing required argument 'parts'/],
    [["fid", "merge", FILE, "--out", join(OUT, "m.npz"), "--bogus"], /unknown option '--bogus'/],
    [
      ["fid", "merge", FILE, "--out", join(OUT, "m.npz"), "--protocol", "x"],
      /'--protocol <name>' argument 'x'/,
    ],
    [
      ["fid", "merge", FILE, "--out", join(OUT, "m.npz"), "--threads", "1.5"],
      /--threads: expected a positive/,
    ],
    [["fid", "merge", FILE, "--out", join(FILE, "m.npz")], /a-file is a file, not a folder/],
    [["fid", "merge", NOPE + ".npz", "--out", join(OUT, "m.npz")], /<parts> .*nope\.npz: no such file/],
  ],
  "convert imagefolder": [
    [["convert", "imagefolder", PHOTOS_DIR], /--out: required/],
    [["convert", "imagefolder", PHOTOS_DIR, "--out", OUT, "--bogus"], /unknown option '--bogus'/],
    [
      ["convert", "imagefolder", PHOTOS_DIR, "--out", OUT, "--verify", "maybe"],
      /'--verify <how>' argument 'maybe'/,
    ],
    [
      ["convert", "imagefolder", PHOTOS_DIR, "--out", OUT, "--quality", "101"],
      /--quality: expected an integer in 1\.\.100/,
    ],
    [["convert", "imagefolder", PHOTOS_DIR, "--out", FILE], /--out .*a-file: exists and is not a folder/],
    [["convert", "imagefolder", NOPE, "--out", OUT], /<root> .*nope: no such folder/],
  ],
  "convert bdd100k": [
    [["convert", "bdd100k", "--out", OUT], /missing required argument 'root'/],
    [["convert", "bdd100k", PHOTOS_DIR, "--out", OUT, "--bogus"], /unknown option '--bogus'/],
    [["convert", "bdd100k", PHOTOS_DIR, "--out", OUT, "--verify", "x"], /'--verify <how>' argument 'x'/],
    [
      ["convert", "bdd100k", PHOTOS_DIR, "--out", OUT, "--mtime", "yesterday"],
      /--mtime: expected an integer ≥ 0/,
    ],
    [["convert", "bdd100k", PHOTOS_DIR, "--out", join(FILE, "x")], /a-file is a file, not a folder/],
    [["convert", "bdd100k", NOPE, "--out", OUT], /<root> .*nope: no such folder/],
  ],
  "convert merge": [
    [["convert", "merge"], /missing required argument 'dir'/],
    [["convert", "merge", dir, "--bogus"], /unknown option '--bogus'/],
    [["convert", "bogus"], /unknown command 'bogus'/],
    null,
    [["convert", "merge", FILE], /<dir> .*a-file: is a file, expected a folder/],
    [["convert", "merge", NOPE], /<dir> .*nope: no such folder/],
  ],
};

/** Runs a line that must be refused: exit 2, the culprit named, no stack trace, nothing created. */
async function refused(args: string[], culprit: RegExp, label: string) {
  const r = await run(args);
  deepStrictEqual(r.code, 2, `${label}: exit ${r.code}\n${r.err}`);
  ok(culprit.test(r.err), `${label}: stderr does not name the culprit (${culprit}):\n${r.err}`);
  ok(!/failed:|\n\s+at /.test(r.err), `${label}: a stack trace instead of a message:\n${r.err}`);
  ok(
    /^tok1d: error: /m.test(r.err) && !/^error: /m.test(r.err),
    `${label}: not the one error prefix:\n${r.err}`,
  );
  return r;
}

Deno.test("cli misuse table: every command × misuse exits 2 naming the culprit", async () => {
  let cells = 0;
  for (const [command, row] of Object.entries(TABLE)) {
    deepStrictEqual(row.length, COLUMNS.length, command);
    for (const [i, cell] of row.entries()) {
      if (!cell) continue;
      await refused(cell[0], cell[1], `${command} × ${COLUMNS[i]}`);
      cells++;
    }
  }
  ok(cells >= 85, `${cells} cells`);
  // Nothing was done: no output folder was created by any refused line.
  ok(!readdirSync(dir).includes("out"), "a refused command created its --out folder");
});

Deno.test("cli misuse: help and version still exit 0", async () => {
  for (
    const args of [["--help"], ["--version"], ["eval", "merge", "--help"], ["convert", "bdd100k", "--help"]]
  ) {
    deepStrictEqual((await run(args)).code, 0, args.join(" "));
  }
});

function config(name: string, edit: (yaml: string) => string): string {
  const base = Deno.readTextFileSync(new URL("../configs/titok/tiny.yaml", import.meta.url));
  const p = join(dir, `${name}.yaml`);
  writeFileSync(p, edit(base));
  return p;
}

Deno.test("cli misuse: a config key typo warns with the nearest key; --strict-config refuses it", async () => {
  const typo = config(
    "typo",
    (y) => y.replace("    token_size: 12", "    tokn_size: 12\n    token_size: 12"),
  );
  const r = await run(["info", "--model", typo, "--random"]);
  deepStrictEqual(r.code, 0, r.err);
  ok(/warning: .*model\.vq_model\.tokn_size: unknown key \(did you mean 'token_size'\?\)/.test(r.err), r.err);
  await refused(
    ["info", "--model", typo, "--random", "--strict-config"],
    /tokn_size.*did you mean 'token_size'/,
    "strict",
  );
  // A typo in a section the family does not read (upstream's training settings) is not its business.
  const other = config("other", (y) => `losses:\n  discriminator_strat: 5\n${y}`);
  const o = await run(["info", "--model", other, "--random", "--strict-config"]);
  deepStrictEqual(o.code, 0, o.err);
});

Deno.test("cli misuse: upstream config layouts load without a warning", () => {
  const warnings: string[] = [];
  setConfigPolicy({ warn: (m) => warnings.push(m), strict: true });
  try {
    for (const family of ["titok", "marvel"]) {
      const d = new URL(`../configs/${family}/`, import.meta.url).pathname;
      for (const f of readdirSync(d).filter((f) => f.endsWith(".yaml"))) resolveModel(join(d, f));
    }
    // Upstream's training layout (configs/training/TiTok/stage1, TA-TiTok, MDQ's finetune_titok_l32): keys tok1d does not read.
    const training = config(
      "training",
      (y) =>
        `experiment:\n  project: x\nlosses:\n  quantizer_weight: 1.0\n${
          y.replace(
            "    token_size: 12",
            "    token_size: 12\n    pretrained_tokenizer_weight: maskgit-vqgan-imagenet-f16-256.bin\n" +
              "    clustering_vq: true\n    scale_factor: 0.7525",
          ).replace(
            "    crop_size: 32",
            "    crop_size: 32\n    resize_shorter_edge: 32\n    random_crop: true\n    random_flip: true\n" +
              "    res_ratio_filtering: true\n  params:\n    num_workers_per_gpu: 12",
          )
        }`,
    );
    resolveModel(training);
  } finally {
    setConfigPolicy();
  }
  deepStrictEqual(warnings, []);
});

Deno.test("cli misuse: hostile configs are refused fast, naming the key, with clipped messages", async () => {
  const huge = config("huge", (y) => y.replace("num_latent_tokens: 8", "num_latent_tokens: 100000000"));
  await refused(
    ["info", "--model", huge, "--random"],
    /model\.vq_model\.num_latent_tokens: 100000000 .*budget/,
    "1e8",
  );
  const big = config("big", (y) => y.replace("num_latent_tokens: 8", "num_latent_tokens: 5000"));
  await refused(["info", "--model", big, "--random"], /model\.vq_model\.num_latent_tokens: Too big/, "5000");
  const mb = config(
    "mb",
    (y) =>
      y.replace("    codebook_size: 64", `    codebook_size: 64\n    quantize_mode: ${"x".repeat(1 << 20)}`),
  );
  const t = performance.now();
  const r = await refused(
    ["info", "--model", mb, "--random"],
    /model\.vq_model\.quantize_mode: a string of 1048576 characters/,
    "1 MB",
  );
  ok(performance.now() - t < 3000, `took ${performance.now() - t} ms`);
  ok(r.err.length < 1000, `the error echoes ${r.err.length} characters`);
  const enumTypo = config(
    "enum",
    (y) =>
      y.replace("    codebook_size: 64", `    codebook_size: 64\n    quantize_mode: ${"v".repeat(3000)}`),
  );
  const e = await refused(
    ["info", "--model", enumTypo, "--random"],
    /quantize_mode: .*allowed: vq, vae/,
    "long enum",
  );
  ok(e.err.length < 1000, `the error echoes ${e.err.length} characters`);
  const five = config("five", () => "model:\n  vq_model: 5\n");
  await refused(["info", "--model", five, "--random"], /model\.vq_model is 5, not a mapping/, "vq_model: 5");
  const empty = config("empty", () => "");
  await refused(["info", "--model", empty, "--random"], /expected a mapping of sections/, "empty");
});

Deno.test("cli misuse: empty and non-finite token files are refused by name", async () => {
  const empty = join(dir, "empty.npy");
  writeNpy(empty, { dtype: "int64", shape: [0, 1, 8], data: new BigInt64Array(0) });
  await refused(
    ["decode", ...M, "--tokens", empty, "--out", join(dir, "dec")],
    /--tokens .*empty\.npy: holds no tokens/,
    "B=0",
  );
  const nan = join(dir, "nan.npy");
  const data = new Float32Array(12 * 8);
  data[20] = NaN;
  writeNpy(nan, { dtype: "float32", shape: [1, 12, 1, 8], data });
  await refused(
    ["decode", "--model", "titok/tiny_vae", "--random", "--tokens", nan, "--out", join(dir, "dec")],
    /--tokens .*nan\.npy: entry 20 is NaN/,
    "NaN latent",
  );
});

Deno.test("cli misuse: non-finite FID statistics and empty datasets are refused", async () => {
  const stats = join(dir, "nan.npz");
  const mu = new Float64Array(4);
  mu[3] = Infinity;
  writeStatistics(stats, { mu, sigma: new Float64Array(16), count: 2 });
  await refused(["fid", stats, stats], /nan\.npz: mu holds Infinity at 3/, "Inf mu");
  const bdd = join(dir, "bdd");
  mkdirSync(join(bdd, "images", "100k", "train"), { recursive: true });
  await refused(
    ["convert", "bdd100k", bdd, "--out", join(dir, "bdd-out")],
    /bdd: no image files/,
    "empty bdd",
  );
  await refused(
    ["convert", "imagefolder", bdd, "--out", join(dir, "if-out")],
    /bdd: no image files/,
    "empty tree",
  );
});

Deno.test("cli misuse: a huge flag value is clipped in the message", async () => {
  const long = "x".repeat(100_000);
  for (const args of [[...M, "--device", long], [...M, "--seed", long], [...M, `--bogus${long}`]]) {
    const r = await refused(["encode", ...args], /--device|--seed|--bogus/, "huge value");
    ok(r.err.length < 1000, `the error echoes ${r.err.length} characters`);
  }
});

Deno.test("cli misuse: fid names a missing second collection before reading the first", async () => {
  const t = performance.now();
  const r = await refused(["fid", PHOTOS_DIR, NOPE, ...I], /nope: no such file or folder/, "fid photos nope");
  ok(!/images/.test(r.err), r.err);
  ok(performance.now() - t < 1000, `took ${performance.now() - t} ms`);
});
