/**
 * Family options on the command line: each plugin declares its own
 * (core/plugin.ts `options`, e.g. ALIT's `--halting`, BDD-1D's training
 * `--upstream-bugs`); commands that encode register every family's encoding
 * options, `tok1d train` every training option, and a run passes only the
 * loaded family's on, refusing flags that belong to another family.
 *
 * @example
 * ```ts
 * addFamilyOptions(cmd);                              // --halting <mode> [alit] …
 * const params = familyParams(tok.model.plugin, f);  // { halting: "threshold" }
 * ```
 * @module
 */
import { type Command, Option } from "commander";
import { UsageError } from "../core/errors.ts";
import type { Plugin } from "../core/plugin.ts";
import { PLUGINS } from "../plugins/mod.ts";

/** Parsed flags may carry any family's options by name. */
export type FamilyFlags = Record<string, unknown>;

/** Which command an option belongs to (encoding unless it says `train`). */
export type OptionCommand = "encode" | "train";
const optionsOf = (p: Plugin<unknown>, command: OptionCommand) =>
  (p.options ?? []).filter((o) => (o.command ?? "encode") === command);

/** Registers every family's options of `command` on `cmd` (each labelled with its family). */
export function addFamilyOptions(cmd: Command, command: OptionCommand = "encode"): Command {
  const seen = new Set<string>();
  for (const p of Object.values(PLUGINS)) {
    for (const o of optionsOf(p, command)) {
      if (seen.has(o.flag)) continue;
      seen.add(o.flag);
      const opt = new Option(o.flag, `[${p.name}] ${o.description}`);
      if (o.choices) opt.choices([...o.choices]);
      cmd.addOption(opt);
    }
  }
  return cmd;
}

/** The options of `plugin` from the parsed flags (defaults filled); another family's flag is refused. */
export function familyParams(
  plugin: Plugin<unknown>,
  f: FamilyFlags,
  command: OptionCommand = "encode",
): Record<string, unknown> {
  const mine = new Set(optionsOf(plugin, command).map((o) => o.name));
  for (const p of Object.values(PLUGINS)) {
    for (const o of optionsOf(p, command)) {
      if (!mine.has(o.name) && f[o.name] !== undefined) {
        throw new UsageError(`${o.flag.split(" ")[0]}: a ${p.name} option; this model is ${plugin.name}`);
      }
    }
  }
  const out: Record<string, unknown> = {};
  for (const o of optionsOf(plugin, command)) {
    const v = f[o.name] ?? o.default;
    if (v !== undefined) out[o.name] = v;
  }
  return out;
}
