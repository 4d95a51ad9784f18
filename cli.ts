/**
 * The tok1d command line. Flags are parsed here; the work is done by the
 * library. Exit codes: 0 success, 2 bad input (the message names the flag,
 * file, key or value), 1 anything else.
 *
 * @module
 */
import { Command, CommanderError, Option } from "commander";
import { setConfigPolicy } from "./core/config.ts";
import { UsageError } from "./core/errors.ts";
import { DEVICES } from "./core/runtime/mod.ts";
import { calibrateOption, precisionOption } from "./cli/precision.ts";
import { exportCommand, infoCommand, listCommand } from "./cli/commands.ts";
import { demoCommand } from "./cli/demo.ts";
import { decodeCommand } from "./cli/decode.ts";
import { encodeCommand, reconstructCommand } from "./cli/encode.ts";
import { encodeMergeCommand } from "./cli/encode_merge.ts";
import { addFamilyOptions } from "./cli/family_options.ts";
import { registerTrain } from "./cli/train.ts";
import { convertCommand } from "./cli/convert.ts";
import { evalCommand } from "./cli/eval.ts";
import { fidCommand } from "./cli/fid.ts";
import { clip, STRICT_HELP, typeFlags } from "./cli/flags.ts";
import { preflight } from "./cli/preflight.ts";
import { checkRequired, deferRequired } from "./cli/required.ts";

/** What every error message starts with, whichever part of tok1d reports it. */
export const ERROR_PREFIX = "tok1d: error: ";

/** Flags of the model-running commands that only matter when images go through ONNX Runtime. */
const RUN_FLAGS = ["--device", "--threads", "--batch-size", "--precision", "--calibrate", "--no-winograd"];

/**
 * The model flags, less those that do nothing for this command (`omit`): a
 * command's help lists only flags that change what it does.
 */
function modelOptions(
  cmd: Command,
  required: boolean | "in the action" = true,
  omit: string[] = [],
): Command {
  const model = new Option(
    "--model <spec>",
    "HF-style folder, config file, preset (titok/s128) or 'default'" +
      (required === "in the action" ? " (required)" : ""),
  );
  if (required === true) model.makeOptionMandatory();
  const options = [
    model,
    new Option("--weights <path>", "checkpoint: HF folder, .safetensors, .bin/.pth/.ckpt"),
    new Option("--random", "use seeded random weights (tests, benchmarks)"),
    new Option(
      "--seed <n>",
      omit.includes("--sample") ? "seed for --random" : "seed for --random and --sample",
    ),
    new Option("--device <name>", "execution provider").choices([...DEVICES]).default("cpu"),
    new Option("--threads <n>", "intra-op threads (default: all cores)"),
    new Option("--batch-size <n>", "images per ONNX Runtime call").default("8"),
    precisionOption(),
    calibrateOption(),
    new Option(
      "--no-winograd",
      "CPU: run wide 3×3 convs directly, not by Winograd F(4×4, 3×3): conv decoders ~1.2–1.4× slower, " +
        "less memory (their weights held once, not as 4× filter transforms; no 2.25× tiles)",
    ),
    new Option("--sample", "sample VAE posteriors instead of using the mean"),
    new Option(
      "--no-ema",
      "a training checkpoint's raw weights instead of its EMA ones (families that prefer EMA)",
    ),
    new Option("--json", "machine-readable output on stdout"),
  ];
  for (const o of options) if (!omit.includes(o.long!)) cmd.addOption(o);
  return cmd;
}

/** Flags of the commands that stream inputs into a tokenizer. */
function encodeFlags(cmd: Command, outRequired = true): Command {
  if (outRequired) cmd.requiredOption("--out <dir>", "output folder");
  else cmd.option("--out <dir>", "output folder (required)");
  cmd
    .option("--shard <K/N>", "this process's part of the inputs (K from 0); join parts with 'encode merge'")
    .option("--workers <n>", "image decoding threads (default 1)")
    .option(
      "--no-resize",
      "centre-crop the full-size image, no resize (BDD-1D's and ALIT's evaluation protocol)",
    )
    .option("--fps <n>", "videos (files or shard members): frames per second to sample (default 24)")
    .option("--strict", STRICT_HELP);
  return addFamilyOptions(cmd);
}

/** Builds the program (exported for tests). */
export function program(): Command {
  const p = new Command("tok1d")
    .description("Run, train and evaluate 1D image tokenizers as ONNX graphs")
    .version("0.1.0")
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  p.command("list").description("list families, their presets (upstream's and tok1d's training recipes)")
    .option("--json", "machine-readable output on stdout").action(listCommand);
  modelOptions(
    p.command("info").description("show a model's token shape, vocabulary and size"),
    true,
    [...RUN_FLAGS, "--sample"],
  ).action(infoCommand);
  // --model and --out are checked in the action: `encode merge` must parse without them.
  const encode = modelOptions(
    p.command("encode").description("images or videos → tokens.npy + tokens.json (streamed)"),
    "in the action",
  );
  encodeFlags(encode, false)
    .option("--budget <n>", "encode at this many tokens per image (the family's budgets: tok1d info)")
    .option("--length <n>", "the same as --budget (ALIT's fixed-length mode)")
    .option("--adaptive", "the family's adaptive encode: per image, the fewest tokens under --threshold")
    .option("--threshold <x>", "quality threshold of --adaptive (family specific: ALIT L1, ElasticTok MSE)")
    .argument("<inputs...>", "image or video files, folders, .tar shards or a brace pattern")
    .action(encodeCommand);
  // --out and --json are the parent's (commander parses them anywhere on the line).
  encode.command("merge").description("join the parts of 'encode --shard K/N' runs; takes --out, --json")
    .argument("<parts...>", "the part folders")
    .action((parts: string[], _: unknown, c: Command) => encodeMergeCommand(parts, c.optsWithGlobals()));
  modelOptions(p.command("decode").description("tokens → PNG images (named after their sources)"), true, [
    "--sample",
  ])
    .requiredOption("--out <dir>", "output folder")
    .requiredOption("--tokens <path>", "a token folder or tokens.npy (from encode)")
    .option("--npy", "also write images.npy (float32, before clamping)")
    .option("--budget <n>", "keep this many tokens per image first (prefix families)")
    .option("--depths <d>", "decode only the first d depths of multi-depth tokens (MARVEL: coarse to fine)")
    .action(decodeCommand);
  encodeFlags(
    modelOptions(p.command("reconstruct").description("encode + decode; images/, grid.png, tokens")),
  )
    .option("--npy", "also write images.npy (float32, before clamping)")
    .option("--budget <n>", "reconstruct from this many tokens per image")
    .option("--length <n>", "the same as --budget")
    .option("--adaptive", "the family's adaptive encode (see encode)")
    .option("--threshold <x>", "quality threshold of --adaptive")
    .argument("<inputs...>", "image or video files, folders, .tar shards or a brace pattern")
    .action(async (files, f) => {
      await reconstructCommand(files, f);
    });
  modelOptions(
    p.command("export").description(
      "write each graph as .onnx, the weights as model.safetensors, manifest.json",
    ),
    true,
    RUN_FLAGS,
  )
    .requiredOption("--out <dir>", "output folder")
    .action(exportCommand);
  modelOptions(
    p.command("demo").description(
      "reconstruct the held-out photos (never trained on) with the default model",
    ),
    false,
  )
    .option("--out <dir>", "output folder", "out/demo")
    .action(async (f) => {
      await demoCommand(f);
    });
  registerTrain(p);
  p.addCommand(convertCommand());
  p.addCommand(evalCommand());
  p.addCommand(fidCommand());
  // Nested commands made with `new Command()` do not inherit these: without them commander exits by itself.
  const everywhere = (c: Command) => {
    c.exitOverride().showSuggestionAfterError(true).configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // One prefix for every error; commander echoes a bad value whole: clip it (a file's worth of text).
      outputError: (s, write) =>
        write(
          s.replace(/^error: /, ERROR_PREFIX).replace(/\n\(Did you mean (.*)\?\)/, " (did you mean $1?)")
            .replace(/'([^'\n]{80,})'/g, (_, v: string) => `'${clip(v)}'`),
        ),
    });
    // Unknown flags are reported before missing required ones (cli/required.ts).
    deferRequired(c);
    c.commands.forEach(everywhere);
  };
  everywhere(p);
  typeFlags(p);
  p.option("--strict-config", "unknown keys in a config's model sections are errors, not warnings")
    .hook("preAction", (root, action) => {
      setConfigPolicy({ strict: !!root.opts().strictConfig });
      checkRequired(action);
      preflight(action);
    });
  return p;
}

/** System errors that mean a path given by the user is wrong (exit 2, not 1). */
const PATH_ERRORS = new Set([
  "ENOENT",
  "ENOTDIR",
  "EISDIR",
  "EEXIST",
  "EACCES",
  "EPERM",
  "ENAMETOOLONG",
  "ELOOP",
]);

function pathError(e: unknown): string | undefined {
  const err = e as { code?: unknown; path?: unknown; syscall?: unknown; message?: unknown };
  if (!err || typeof err.code !== "string" || !PATH_ERRORS.has(err.code)) return undefined;
  const what = { ENOENT: "no such file or folder", ENOTDIR: "a part of the path is a file, not a folder" }[
    err.code as "ENOENT"
  ];
  return `${typeof err.path === "string" ? clip(err.path, 200) + ": " : ""}${
    what ?? clip(String(err.message), 200)
  }`;
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    const path = pathError(e);
    if (path) {
      console.error(`${ERROR_PREFIX}${path}`);
      return 2;
    }
    if (e instanceof CommanderError) {
      return e.exitCode === 0 || e.code === "commander.helpDisplayed" || e.code === "commander.version"
        ? 0
        : 2;
    }
    if (e instanceof UsageError) {
      console.error(`${ERROR_PREFIX}${e.message}`);
      return 2;
    }
    // Not the user's input: the same prefix, and the stack trace on request (for a bug report).
    const err = e as Error;
    console.error(`${ERROR_PREFIX}${err?.message ?? e}`);
    console.error(
      process.env.TOK1D_DEBUG
        ? String(err?.stack ?? e)
        : "  (an internal failure: TOK1D_DEBUG=1 prints its stack trace)",
    );
    return 1;
  } finally {
    setConfigPolicy();
  }
}

if (import.meta.main) {
  // `deno task tok1d …` runs in the repository; relative paths mean the folder the user ran it from.
  const from = Deno.env.get("INIT_CWD");
  if (from && from !== Deno.cwd()) Deno.chdir(from);
  process.exitCode = await main(Deno.args);
}
