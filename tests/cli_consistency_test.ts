/**
 * One way of saying things across the command line: every error starts with
 * `tok1d: error: `, an unknown flag is reported as unknown (with the nearest
 * real flag) in every subcommand before any missing required flag, and a
 * command's help lists only the flags that change what it does.
 */
import { deepStrictEqual, ok } from "node:assert";
import type { Command } from "commander";
import { program } from "../cli.ts";
import { run } from "../cli/_test_run.ts";

/** Every command that runs something, as its path of names (`["fid", "stats"]`). */
function leaves(cmd: Command, path: string[] = []): string[][] {
  const here = cmd.parent ? [...path, cmd.name()] : path;
  const below = cmd.commands.flatMap((c) => leaves(c, here));
  const runs = (cmd as unknown as { _actionHandler?: unknown })._actionHandler;
  return runs && cmd.parent ? [here, ...below] : below;
}

Deno.test("cli: --outt is an unknown flag (with did-you-mean) in every command, before any missing required flag", async () => {
  const commands = leaves(program());
  ok(commands.length >= 15, `${commands.length} commands`);
  for (const path of commands) {
    const r = await run([...path, "--outt", "somewhere"]);
    deepStrictEqual(r.code, 2, `${path.join(" ")}: exit ${r.code}\n${r.err}`);
    ok(r.err.startsWith("tok1d: error: unknown option '--outt'"), `${path.join(" ")}:\n${r.err}`);
    const hasOut = r.err.includes("(did you mean --out?)");
    if (
      ["encode", "decode", "reconstruct", "export", "train", "convert imagefolder"].includes(path.join(" "))
    ) {
      ok(hasOut, `${path.join(" ")}: no suggestion\n${r.err}`);
    }
  }
});

Deno.test("cli: missing required flags and bad values share the error prefix", async () => {
  for (
    const [args, message] of [
      [
        ["info"],
        "tok1d: error: --model: required (HF-style folder, config file, preset (titok/s128) or 'default')",
      ],
      [["export", "--model", "titok/tiny"], "tok1d: error: --out: required (output folder)"],
      [["train", "--model", "titok/tiny", "--out", "x"], "tok1d: error: --data: required"],
      [["info", "--model", "titok/tiny", "--seed", "x"], "tok1d: error: --seed: expected an integer seed"],
      [["bogus"], "tok1d: error: unknown command 'bogus'"],
      [["eval", "--model", "titok/tiny", "--protocol", "nope"], "tok1d: error: option '--protocol <name>'"],
    ] as [string[], string][]
  ) {
    const r = await run(args);
    deepStrictEqual(r.code, 2, args.join(" "));
    ok(r.err.startsWith(message), `${args.join(" ")}:\n${r.err}`);
  }
});

Deno.test("cli: help lists only the flags that change what a command does", () => {
  const root = program();
  const help = (name: string) => root.commands.find((c) => c.name() === name)!.helpInformation();
  const info = help("info");
  for (const flag of ["--device", "--threads", "--batch-size", "--sample"]) {
    ok(!info.includes(flag), `info: ${flag}`);
  }
  ok(info.includes("--weights") && info.includes("--json"));
  const decode = help("decode");
  ok(!decode.includes("--sample") && decode.includes("--batch-size"), decode);
  const exp = help("export");
  for (const flag of ["--device", "--threads", "--batch-size"]) ok(!exp.includes(flag), `export: ${flag}`);
  ok(exp.includes("--sample"), "export keeps --sample (it builds the sampling graph)");
  ok((help("encode")).includes("--sample"));
});
