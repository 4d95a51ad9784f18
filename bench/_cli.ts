/**
 * Flag parsing for the bench scripts: `--help` / `-h` prints the script's
 * usage and exits 0; an unknown flag or a missing value prints a message
 * naming it and exits 2 (as the CLI does for bad input), before any work.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;
/** The typed values parseArgs returns for `O`. */
type Values<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O }>>["values"];

/** Parses `Deno.args` against `options` (plus `--help`), or prints usage / the fault and exits. */
export function benchArgs<const O extends Options>(usage: string, options: O): Values<O> {
  let parsed: { values: Record<string, unknown> };
  try {
    parsed = parseArgs({
      args: Deno.args,
      options: { ...options, help: { type: "boolean", short: "h", default: false } },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${usage.trim()}`);
    Deno.exit(2);
  }
  if (parsed.values.help) {
    console.log(usage.trim());
    Deno.exit(0);
  }
  return parsed.values as Values<O>;
}

/** Exits 2 with `message` (naming the flag or value at fault) unless `ok`. */
export function usageCheck(ok: unknown, message: string): asserts ok {
  if (!ok) {
    console.error(message);
    Deno.exit(2);
  }
}

/** A positive integer flag value, or exit 2 naming the flag. */
export function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  usageCheck(Number.isInteger(n) && n > 0, `--${flag}: expected a positive integer, got '${value}'`);
  return n;
}

/** A non-negative number flag value, or exit 2 naming the flag. */
export function nonNegative(flag: string, value: string): number {
  const n = Number(value);
  usageCheck(
    value.trim() !== "" && Number.isFinite(n) && n >= 0,
    `--${flag}: expected a number ≥ 0, got '${value}'`,
  );
  return n;
}
