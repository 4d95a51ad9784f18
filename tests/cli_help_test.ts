/**
 * What `--help` and README.md say matches what the parser takes: every flag a
 * command's help lists (and every flag its description says it takes from its
 * parent, as `encode merge` does) parses, with a valid value, on that command
 * line; every flag the parser knows is in the help (bar the ones hidden on
 * purpose); every flag of a `tok1d <command>` line in README.md and of a recipe's
 * train command (configs/) belongs to that command; every other `--flag` the
 * README names is one of tok1d's.
 */
import { deepStrictEqual, ok } from "node:assert";
import { readFileSync } from "node:fs";
import type { Command, Option } from "commander";
import { program } from "../cli.ts";
import { run } from "../cli/_test_run.ts";
import { FLAG_KINDS } from "../cli/flags.ts";
import { presetRecipe } from "../core/presets.ts";
import { PLUGINS } from "../plugins/mod.ts";

/** Every command below the root with its path of names (`["fid", "stats"]`), the root first as []. */
function commands(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  return [{ path, cmd }, ...cmd.commands.flatMap((c) => commands(c, [...path, c.name()]))];
}

/** The flags (long names) a help text lists in its Options section. */
function helpFlags(help: string): string[] {
  const section = help.split(/\n(?=Options:|Commands:|Arguments:)/).find((s) => s.startsWith("Options:"));
  return [...(section ?? "").matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1])
    .filter((f) => f !== "--help" && f !== "--version");
}

/** A value the flag's own check accepts. */
function sampleValue(o: Option): string {
  if (o.argChoices?.length) return o.argChoices[0];
  const kind = FLAG_KINDS[o.long!];
  const byKind: Record<string, string> = {
    posInt: "2",
    nonNegInt: "0",
    nonNegNumber: "0.5",
    posNumber: "0.5",
    seed: "1",
    shard: "0/2",
    percent: "50",
  };
  if (kind) return byKind[kind];
  return o.long === "--precision" ? "fp32" : "x";
}

/** The option of `cmd` or an ancestor that parses `flag` (as commander looks them up). */
function optionFor(cmd: Command, flag: string): Option | undefined {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const o = c.options.find((o) => o.long === flag);
    if (o) return o;
  }
}

const UNKNOWN = "--zz-not-a-flag";

Deno.test("cli help: every flag a command's help lists parses on its command line", async () => {
  let probed = 0;
  for (const { path, cmd } of commands(program())) {
    const listed = helpFlags(cmd.helpInformation());
    // Flags a subcommand takes from its parent, as its description says ("takes --out, --json").
    const taken = [
      ...(/takes ((?:--[a-z-]+(?:, )?)+)/.exec(cmd.description())?.[1] ?? "").matchAll(/--[a-z-]+/g),
    ]
      .map((m) => m[0]);
    for (const flag of [...listed, ...taken]) {
      const o = optionFor(cmd, flag);
      ok(o, `${["tok1d", ...path].join(" ")}: help lists ${flag}, the parser has no such option`);
      const args = [...path, flag, ...(o.required || o.optional ? [sampleValue(o)] : []), UNKNOWN];
      const r = await run(args);
      // The flag (and its value) parsed: the next thing commander refuses is the unknown flag after it.
      ok(
        r.code === 2 && r.err.startsWith(`tok1d: error: unknown option '${UNKNOWN}'`),
        `${args.join(" ")}: exit ${r.code}\n${r.err}`,
      );
      probed++;
    }
  }
  ok(probed > 200, `${probed} flags probed`);
});

Deno.test("cli help: every flag the parser takes is in the command's help, bar the hidden ones", () => {
  const hidden: string[] = [];
  for (const { path, cmd } of commands(program())) {
    const listed = new Set(helpFlags(cmd.helpInformation()));
    for (const o of cmd.options) {
      if (!o.long || o.long === "--version") continue;
      if (o.hidden) hidden.push(`${path.join(" ")} ${o.long}`);
      else ok(listed.has(o.long), `${["tok1d", ...path].join(" ")}: ${o.long} is not in the help`);
    }
  }
  deepStrictEqual(hidden, ["train --stop-after"]); // a testing aid
});

/** The `tok1d <command> …` lines of a Markdown or YAML text, continuation lines joined. */
function commandLines(text: string): string[] {
  const joined = text.replace(/\\\n[#\s]*/g, " ");
  return [
    ...joined.matchAll(
      /(?:deno task |^|\s)tok1d ([a-z]+(?: (?:merge|stats|imagefolder|bdd100k))?)( [^\n`#]*)/gm,
    ),
  ]
    .map((m) => `${m[1]}${m[2]}`);
}

Deno.test("cli help: README's command lines and the recipes' train commands use their command's flags", () => {
  const root = program();
  const find = (path: string[]) =>
    path.reduce<Command | undefined>((c, n) => c?.commands.find((s) => s.name() === n), root);
  const lines = [
    ...commandLines(readFileSync(new URL("../README.md", import.meta.url), "utf8")),
    ...Object.values(PLUGINS).flatMap((p) =>
      Object.values(p.presets).flatMap((raw) => {
        const train = presetRecipe(raw)?.train;
        return train ? commandLines(train) : [];
      })
    ),
  ];
  let checked = 0;
  for (const line of lines) {
    const words = line.split(/\s+/);
    const path = words.slice(0, /^(merge|stats|imagefolder|bdd100k)$/.test(words[1] ?? "") ? 2 : 1);
    const cmd = find(path);
    if (!cmd) continue; // prose such as "tok1d never downloads"
    for (const flag of line.match(/(?<![\w-])--[a-z][a-z0-9-]*/g) ?? []) {
      ok(optionFor(cmd, flag), `README/recipe: \`tok1d ${path.join(" ")}\` has no ${flag}: ${line}`);
      checked++;
    }
  }
  ok(checked >= 60, `${checked} flags checked`);
});

Deno.test("cli help: every --flag README.md names is one of tok1d's (or of deno and Slurm, where it says so)", () => {
  const known = new Set<string>();
  for (const { cmd } of commands(program())) for (const o of cmd.options) if (o.long) known.add(o.long);
  const others = ["--config", "--allow-ffi", "--check", "--help", "--array", "--wrap"]; // deno, sbatch
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const unknown = [...new Set(readme.match(/(?<![\w-])--[a-z][a-z0-9-]*/g))]
    .filter((f) => !known.has(f) && !others.includes(f));
  deepStrictEqual(unknown, []);
});

Deno.test("cli help: a flag a command cannot run without says (required) in its help", () => {
  const root = program();
  const line = (path: string[], flag: string) => {
    const cmd = path.reduce<Command>((c, n) => c.commands.find((s) => s.name() === n)!, root);
    // The flag's entry, its wrapped description lines joined.
    const help = cmd.helpInformation().replace(/\n {20,}/g, " ");
    return help.split("\n").find((l) => l.startsWith(`  ${flag} `)) ?? "";
  };
  for (
    const [path, flag] of [
      [["info"], "--model"],
      [["encode"], "--model"],
      [["decode"], "--tokens"],
      [["reconstruct"], "--out"],
      [["export"], "--out"],
      [["train"], "--data"],
      [["eval"], "--model"],
      [["eval"], "--data"],
      [["convert", "imagefolder"], "--out"],
      [["fid", "stats"], "--out"],
    ] as [string[], string][]
  ) ok(line(path, flag).endsWith("(required)"), `${path.join(" ")} ${flag}: ${line(path, flag)}`);
  ok(!line(["encode"], "--weights").includes("required"));
  ok(!line(["demo"], "--model").includes("required"), "demo runs the default model");
});
