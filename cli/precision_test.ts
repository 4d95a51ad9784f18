/**
 * `--precision` on the command line: listed in the help of every
 * model-running command; a bad value or a value the device cannot run exits 2
 * naming the flag and the valid values, before any model loads; int8 runs.
 */
import { ok, strictEqual } from "node:assert";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { run, tmp } from "./_test_run.ts";
import { program } from "../cli.ts";

const PHOTO = new URL("../tests/testdata/photos/chelsea.png", import.meta.url).pathname;
const M = ["--model", "titok/tiny", "--random"];

Deno.test("cli --precision: in the help of encode, decode, reconstruct, eval, demo", () => {
  for (const cmd of ["encode", "decode", "reconstruct", "eval", "demo"]) {
    const help = program().commands.find((c) => c.name() === cmd)!.helpInformation();
    ok(/--precision <p>\s+inference arithmetic: fp32 \(default/.test(help), `${cmd}: ${help}`);
  }
});

Deno.test("cli --precision: unknown values and device mismatches exit 2 before any work", async () => {
  const out = join(tmp(), "out");
  const cases: [string[], RegExp][] = [
    [
      ["encode", ...M, "--out", out, "--precision", "int4", PHOTO],
      /--precision: unknown precision 'int4'; use one of fp32, bf16, int8, fp16/,
    ],
    [
      ["reconstruct", ...M, "--out", out, "--precision", "fp16", PHOTO],
      /--precision fp16: runs on --device cuda or tensorrt, not cpu \(the CPU provider has no fp16 kernels/,
    ],
    [
      ["eval", ...M, "--data", PHOTO, "--no-fid", "--precision", "FP32"],
      /--precision: unknown precision 'FP32'/,
    ],
    [
      ["decode", ...M, "--out", out, "--tokens", PHOTO, "--device", "cuda", "--precision", "int8"],
      /--precision int8: runs on --device cpu, not cuda/,
    ],
  ];
  for (const [args, culprit] of cases) {
    const r = await run(args);
    strictEqual(r.code, 2, `${args.join(" ")}: ${r.err}`);
    ok(culprit.test(r.err), `${args.join(" ")}: ${r.err}`);
  }
  ok(!existsSync(out), "nothing was written");
  // fp16 on a GPU device passes the precision check; the missing provider is then the message.
  const gpu = await run([
    "reconstruct",
    ...M,
    "--out",
    out,
    "--device",
    "cuda",
    "--precision",
    "fp16",
    PHOTO,
  ]);
  strictEqual(gpu.code, 2, gpu.err);
  ok(/--device cuda: the cuda execution provider is not installed/.test(gpu.err), gpu.err);
});

Deno.test("cli --precision int8: reconstruct runs", async () => {
  const out = join(tmp(), "out");
  const r = await run([
    "reconstruct",
    "--model",
    "default",
    "--out",
    out,
    "--precision",
    "int8",
    "--json",
    PHOTO,
  ]);
  strictEqual(r.code, 0, r.err);
  ok(existsSync(join(out, "tokens.npy")));
});

Deno.test("cli --precision int8: eval records it in its JSON and the report notes", async () => {
  const heldout = new URL("../tests/testdata/photos/heldout/", import.meta.url).pathname;
  const r = await run([
    "eval",
    "--model",
    "default",
    "--data",
    heldout,
    "--no-fid",
    "--limit",
    "2",
    "--precision",
    "int8",
    "--json",
  ]);
  strictEqual(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  strictEqual(j.model.precision, "int8");
  const plain = await run([
    "eval",
    "--model",
    "default",
    "--data",
    heldout,
    "--no-fid",
    "--limit",
    "2",
    "--json",
  ]);
  strictEqual(JSON.parse(plain.out).model.precision, undefined, "fp32 runs' metrics are as before");
});

Deno.test("cli --calibrate: only with int8, paths must exist, 'none' alone; int8 with a folder runs", async () => {
  const out = join(tmp(), "out");
  const cases: [string[], RegExp][] = [
    [
      ["reconstruct", ...M, "--out", out, "--calibrate", PHOTO, PHOTO],
      /--calibrate: only with --precision int8 \(got fp32\)/,
    ],
    [
      ["reconstruct", ...M, "--out", out, "--precision", "int8", "--calibrate", "/no/such.png", PHOTO],
      /--calibrate \/no\/such.png: no such file or folder/,
    ],
    [
      [
        "encode",
        ...M,
        "--out",
        out,
        "--precision",
        "int8",
        "--calibrate",
        "none",
        "--calibrate",
        PHOTO,
        PHOTO,
      ],
      /--calibrate none: cannot be combined with paths/,
    ],
  ];
  for (const [args, culprit] of cases) {
    const r = await run(args);
    strictEqual(r.code, 2, `${args.join(" ")}: ${r.err}`);
    ok(culprit.test(r.err), `${args.join(" ")}: ${r.err}`);
  }
  ok(!existsSync(out), "nothing was written");
  const photos = new URL("../tests/testdata/photos/", import.meta.url).pathname;
  const r = await run([
    "reconstruct",
    ...M,
    "--out",
    out,
    "--precision",
    "int8",
    "--calibrate",
    PHOTO,
    "--calibrate",
    join(photos, "heldout"),
    "--json",
    PHOTO,
  ]);
  strictEqual(r.code, 0, r.err);
  ok(existsSync(join(out, "tokens.npy")));
  ok(program().commands.find((c) => c.name() === "encode")!.helpInformation().includes("--calibrate <path>"));
});
