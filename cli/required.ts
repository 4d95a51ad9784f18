/**
 * Required flags, checked after commander's unknown-flag check. Commander
 * checks mandatory options first, so `--outt x` used to be reported as
 * "required option '--out' not specified" instead of as an unknown flag.
 * {@link deferRequired} turns commander's mandatory options into plain ones
 * remembered here; {@link checkRequired} (run by the preAction hook, after
 * commander has refused unknown flags) names the first one missing.
 * @module
 */
import type { Command, Option } from "commander";
import { UsageError } from "../core/errors.ts";

/** The deferred options, with their description as declared (the help's says "(required)" too). */
const REQUIRED = new WeakMap<Option, string>();

/**
 * Makes the mandatory options of `cmd` (not its subcommands) checked by {@link checkRequired}
 * instead; their help says "(required)", which commander's help does not show for them.
 */
export function deferRequired(cmd: Command): void {
  for (const o of cmd.options) {
    if (!o.mandatory) continue;
    o.mandatory = false;
    REQUIRED.set(o, o.description);
    o.description = `${o.description} (required)`;
  }
}

/** Throws a UsageError naming the first required flag of `cmd` or its ancestors that has no value. */
export function checkRequired(cmd: Command): void {
  for (let c: Command | null = cmd; c; c = c.parent) {
    for (const o of c.options) {
      if (REQUIRED.has(o) && c.getOptionValue(o.attributeName()) === undefined) {
        throw new UsageError(`${o.long}: required (${REQUIRED.get(o)})`);
      }
    }
  }
}
