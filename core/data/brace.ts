/**
 * Brace expansion of shard names, as webdataset (`braceexpand`) and the shell
 * do it: numeric ranges `{000000..000099}` keep the width of the zero-padded
 * bounds, lists `{train,val}` expand in the order given, and several groups
 * expand left to right (the last group varies fastest).
 *
 * @example
 * ```ts
 * import { expandBraces } from "./brace.ts";
 * expandBraces("imagenet-train-{000000..000002}.tar");
 * // ["imagenet-train-000000.tar", "imagenet-train-000001.tar", "imagenet-train-000002.tar"]
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";

/** Expansions above this many names are refused (a typo such as {0..99999999}). */
export const MAX_EXPANSION = 1_000_000;

/** True when `pattern` contains a brace group. */
export function hasBraces(pattern: string): boolean {
  return /\{[^{}]*(\.\.|,)[^{}]*\}/.test(pattern);
}

function alternatives(body: string, pattern: string): string[] {
  const range = /^(-?\d+)\.\.(-?\d+)(?:\.\.(\d+))?$/.exec(body);
  if (range) {
    const [, a, b, stepText] = range;
    const from = Number(a), to = Number(b), step = stepText ? Number(stepText) : 1;
    if (step <= 0) throw new UsageError(`${pattern}: brace range step must be positive`);
    const count = Math.floor(Math.abs(to - from) / step) + 1;
    if (count > MAX_EXPANSION) {
      throw new UsageError(`${pattern}: brace range {${body}} expands to ${count} names`);
    }
    const width = /^-?0\d/.test(a) || /^-?0\d/.test(b) ? Math.max(a.length, b.length) : 0;
    const out: string[] = [];
    const dir = to >= from ? 1 : -1;
    for (let i = 0, v = from; i < count; i++, v += dir * step) {
      const digits = String(Math.abs(v)).padStart(width - (v < 0 ? 1 : 0), "0");
      out.push(v < 0 ? `-${digits}` : digits);
    }
    return out;
  }
  if (body.includes(",")) return body.split(",");
  return [`{${body}}`]; // not a brace group: kept literally, as braceexpand does
}

/**
 * All names a pattern stands for, in order; a pattern without braces is
 * returned alone.
 *
 * @example
 * ```ts
 * expandBraces("{a,b}-{0..1}.tar"); // ["a-0.tar", "a-1.tar", "b-0.tar", "b-1.tar"]
 * ```
 */
export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf("{");
  if (open < 0) return [pattern];
  const close = pattern.indexOf("}", open);
  if (close < 0) throw new UsageError(`${pattern}: unbalanced '{' in brace pattern`);
  if (pattern.lastIndexOf("{", close) !== open) {
    throw new UsageError(`${pattern}: nested braces are not supported`);
  }
  const head = pattern.slice(0, open);
  const tails = expandBraces(pattern.slice(close + 1));
  const out: string[] = [];
  for (const alt of alternatives(pattern.slice(open + 1, close), pattern)) {
    for (const rest of tails) out.push(head + alt + rest);
    if (out.length > MAX_EXPANSION) {
      throw new UsageError(`${pattern}: expands to more than ${MAX_EXPANSION} names`);
    }
  }
  return out;
}
