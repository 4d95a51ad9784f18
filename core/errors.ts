/**
 * Error types shared by every module.
 *
 * `UsageError` means the input was bad (a flag, file, key or value); the CLI
 * exits with code 2 for it and 1 for anything else.
 *
 * @module
 */

/** Bad input: the message names the flag, file, key or value at fault. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Throws a {@link UsageError} unless `condition` holds. */
export function check(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new UsageError(typeof message === "string" ? message : message());
}
