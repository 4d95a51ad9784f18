/**
 * Family options on the command line: each plugin declares its own
 * (core/plugin.ts `options`, e.g. ALIT's `--halting`); commands that encode
 * register them all, and a run passes only the loaded family's on to its
 * programs, refusing flags that belong to another family.
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

/** Registers every family's options on `cmd` (each labelled with its family). */
export function addFamilyOptions(cmd: Command): Command {
  const seen = new Set<string>();
  for (const p of Object.values(PLUGINS)) {
    for (const o of p.options ?? []) {
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
export function familyParams(plugin: Plugin<unknown>, f: FamilyFlags): Record<string, unknown> {
  const mine = new Set((plugin.options ?? []).map((o) => o.name));
  for (const p of Object.values(PLUGINS)) {
    for (const o of p.options ?? []) {
      if (!mine.has(o.name) && f[o.name] !== undefined) {
        throw new UsageError(`${o.flag.split(" ")[0]}: a ${p.name} option; this model is ${plugin.name}`);
      }
    }
  }
  const out: Record<string, unknown> = {};
  for (const o of plugin.options ?? []) {
    const v = f[o.name] ?? o.default;
    if (v !== undefined) out[o.name] = v;
  }
  return out;
}
