/**
 * The benches' `--spinning` flag: `default` (the library's CPU default, a
 * short spin then sleep, as tuned torch's OMP_WAIT_POLICY=PASSIVE threads
 * sleep), `on` (ORT's full spin), `off` (sleep at once) or a spin budget in
 * microseconds. One parser so every side-by-side bench reads it alike.
 *
 * @example
 * ```ts
 * const spinning = parseSpinning("default"); // undefined: Session's default
 * ```
 * @module
 */

/** `Session`'s `spinning` option for a flag value; throws naming the flag on anything else. */
export function parseSpinning(value: string): boolean | number | undefined {
  if (value === "default") return undefined;
  if (value === "on") return true;
  if (value === "off") return false;
  if (/^\d+$/.test(value)) return Number(value);
  throw new Error(`--spinning: expected default, on, off or microseconds, got '${value}'`);
}
