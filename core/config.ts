/**
 * Reading config files (YAML or JSON) and turning zod errors into messages
 * that name the key path and suggest the nearest allowed value.
 *
 * Hostile or mistyped configs stop early, as {@link UsageError}s naming the
 * key: a file, string, array or nesting over its budget, a dimension-like
 * key (`num_latent_tokens: 100000000`) over {@link MAX_DIMENSION}, before
 * anything is allocated. Echoed values are clipped. A key that the family's
 * schema does not know, inside a section the family reads (`model.vq_model`,
 * `dataset.preprocessing`), is a warning naming the nearest valid key, or an
 * error under `--strict-config` ({@link setConfigPolicy}); sections the family
 * does not read (experiment, losses, training…) pass through untouched.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import YAML from "yaml";
import type { z } from "zod";
import { UsageError } from "./errors.ts";

/** Budgets of a config: file bytes, string and key length, array and object sizes, nesting, nodes. */
export const CONFIG_BUDGET = {
  fileBytes: 16 << 20,
  string: 4096,
  key: 256,
  array: 4096,
  keys: 4096,
  depth: 64,
  nodes: 200_000,
} as const;

/** The largest value a dimension-like key (sizes, token and channel counts…) may take. */
export const MAX_DIMENSION = 1 << 24;

/** Keys that hold a dimension (their values size allocations). */
const DIMENSION_KEY = /(size|tokens|channels|dim|depths|blocks|heads|layers|width|mult)$/;

/** How unknown config keys are treated: a warning (default) or an error. */
export interface ConfigPolicy {
  strict: boolean;
  warn: (message: string) => void;
}

const DEFAULT_POLICY: ConfigPolicy = { strict: false, warn: (m) => console.error(`warning: ${m}`) };
let policy: ConfigPolicy = { ...DEFAULT_POLICY };

/** Sets how unknown keys are treated (`--strict-config`); returns the previous policy. No argument resets. */
export function setConfigPolicy(p?: Partial<ConfigPolicy>): ConfigPolicy {
  const before = policy;
  policy = p ? { ...policy, ...p } : { ...DEFAULT_POLICY };
  return before;
}

/** Shortens a value for a message: long strings are cut, objects summarised. */
export function clipValue(value: unknown, max = 60): string {
  const s = typeof value === "string" ? value : safeJson(value);
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} characters)`;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

const keyPath = (path: readonly PropertyKey[]) =>
  path.map((k) => clipValue(String(k), 40)).join(".") || "(root)";

/** Parses a YAML or JSON config file into a plain object; a parse error names the file. */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > CONFIG_BUDGET.fileBytes) {
      throw new UsageError(
        `config ${path}: ${size} bytes; a config may have at most ${CONFIG_BUDGET.fileBytes} bytes`,
      );
    }
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`config ${path}: cannot read (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = path.endsWith(".json") ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new UsageError(
      `config ${path}: not valid ${path.endsWith(".json") ? "JSON" : "YAML"}: ${
        clipValue((e as Error).message, 300)
      }`,
    );
  }
  checkConfigBudgets(raw, path);
  return raw;
}

/**
 * Throws a {@link UsageError} naming the key when `raw` breaks a budget of
 * {@link CONFIG_BUDGET} or is not a mapping at the top.
 */
export function checkConfigBudgets(raw: unknown, source: string): void {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new UsageError(`config ${source}: expected a mapping of sections at the top, got ${describe(raw)}`);
  }
  let nodes = 0;
  const fail = (path: PropertyKey[], what: string) => {
    throw new UsageError(`config ${source}: ${keyPath(path)}: ${what}`);
  };
  const walk = (v: unknown, path: PropertyKey[]) => {
    if (++nodes > CONFIG_BUDGET.nodes) fail(path, `more than ${CONFIG_BUDGET.nodes} values in the config`);
    if (path.length > CONFIG_BUDGET.depth) fail(path, `nested deeper than ${CONFIG_BUDGET.depth} levels`);
    if (typeof v === "string" && v.length > CONFIG_BUDGET.string) {
      fail(path, `a string of ${v.length} characters (at most ${CONFIG_BUDGET.string}): '${clipValue(v)}'`);
    }
    if (Array.isArray(v)) {
      if (v.length > CONFIG_BUDGET.array) {
        fail(path, `a list of ${v.length} items (at most ${CONFIG_BUDGET.array})`);
      }
      v.forEach((x, i) => walk(x, [...path, i]));
    } else if (v && typeof v === "object") {
      const keys = Object.keys(v);
      if (keys.length > CONFIG_BUDGET.keys) fail(path, `${keys.length} keys (at most ${CONFIG_BUDGET.keys})`);
      for (const k of keys) {
        if (k.length > CONFIG_BUDGET.key) {
          fail([...path, k], `a key of ${k.length} characters (at most ${CONFIG_BUDGET.key})`);
        }
        walk((v as Record<string, unknown>)[k], [...path, k]);
      }
    }
  };
  walk(raw, []);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return "nothing (an empty file?)";
  if (Array.isArray(v)) return "a list";
  return `${typeof v} ${clipValue(v)}`;
}

/** Edit distance between short strings; `undefined` past `cap` (no table is built for long inputs). */
function distance(a: string, b: string, cap = 64): number | undefined {
  if (a.length > cap || b.length > cap) return undefined;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/** The allowed value closest to `got` by edit distance (none for inputs longer than 64 characters). */
export function nearest(got: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined, bestD = Infinity;
  for (const a of allowed) {
    const d = distance(got, a);
    if (d !== undefined && d < bestD) [best, bestD] = [a, d];
  }
  return best;
}

/** A close-enough key for a "did you mean" (at most a third of the key's letters differ). */
function similarKey(got: string, allowed: readonly string[]): string | undefined {
  const near = nearest(got, allowed);
  if (near === undefined) return undefined;
  return distance(got, near)! <= Math.max(2, Math.floor(near.length / 3)) ? near : undefined;
}

// --- The sections a schema reads (a zod 4 walk) ---

interface ZodDef {
  type: string;
  shape?: Record<string, { _zod: { def: ZodDef } }>;
  innerType?: { _zod: { def: ZodDef } };
  in?: { _zod: { def: ZodDef } };
}

function unwrap(def: ZodDef): ZodDef {
  for (;;) {
    if (def.innerType) def = def.innerType._zod.def;
    else if (def.type === "pipe" && def.in) def = def.in._zod.def;
    else return def;
  }
}

/** An unknown key in a section the schema reads. */
interface UnknownKey {
  path: string[];
  suggestion?: string;
  known: string[];
}

/**
 * Walks `raw` along the object schemas of `def`: in a section that holds
 * settings (an object schema with at least one non-object field), keys the
 * schema does not declare are collected; a dimension-like number over
 * {@link MAX_DIMENSION} throws. Sections that only group sections (the top,
 * `model`, `dataset`) let unknown keys (other programs' settings) pass.
 */
function walkSections(def: ZodDef, raw: unknown, path: string[], source: string, out: UnknownKey[]): void {
  const d = unwrap(def);
  if (d.type !== "object" || !d.shape || !raw || typeof raw !== "object" || Array.isArray(raw)) return;
  const fields = Object.entries(d.shape);
  const settings = fields.some(([, f]) => unwrap(f._zod.def).type !== "object");
  const known = fields.map(([k]) => k);
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const field = d.shape[k];
    if (!field) {
      if (settings) out.push({ path: [...path, k], suggestion: similarKey(k, known), known });
      continue;
    }
    const dims = Array.isArray(v) ? v : [v];
    if (DIMENSION_KEY.test(k) && dims.some((x) => typeof x === "number" && !(Math.abs(x) <= MAX_DIMENSION))) {
      throw new UsageError(
        `config ${source}: ${keyPath([...path, k])}: ${clipValue(v)} is beyond the size budget ` +
          `(at most ${MAX_DIMENSION}); refusing before allocating`,
      );
    }
    walkSections(field._zod.def, v, [...path, k], source, out);
  }
}

/** Warns about (or, when strict, refuses) keys unknown to the sections `schema` reads; checks dimensions. */
export function checkConfigKeys(schema: z.ZodType, raw: unknown, source: string): void {
  const unknown: UnknownKey[] = [];
  walkSections((schema as unknown as { _zod: { def: ZodDef } })._zod.def, raw, [], source, unknown);
  if (!unknown.length) return;
  const lines = unknown.slice(0, 20).map((u) =>
    `${keyPath(u.path)}: unknown key ${
      u.suggestion
        ? `(did you mean '${u.suggestion}'?)`
        : `(valid keys: ${clipValue(u.known.join(", "), 300)})`
    }`
  );
  if (unknown.length > 20) lines.push(`… and ${unknown.length - 20} more`);
  if (policy.strict) {
    throw new UsageError(`config ${source} (--strict-config):\n${lines.map((l) => `  ${l}`).join("\n")}`);
  }
  for (const l of lines) {
    policy.warn(`config ${source}: ${l}; it is ignored (--strict-config makes this an error)`);
  }
}

/** Validates `raw` with `schema`; failures become one UsageError listing each key path. */
export function parseConfig<T>(schema: z.ZodType<T>, raw: unknown, source: string): T {
  checkConfigBudgets(raw, source);
  checkConfigKeys(schema, raw, source);
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const lines = r.error.issues.slice(0, 20).map((issue) => {
    const path = keyPath(issue.path);
    const i = issue as unknown as { values?: unknown[] };
    // zod does not echo the input by default: look it up along the path.
    const input = issue.path.reduce<unknown>(
      (
        o,
        k,
      ) => (o && typeof o === "object" ? (o as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined),
      raw,
    );
    let hint = "";
    if (i.values) hint = `; allowed: ${clipValue(i.values.map(String).join(", "), 200)}`;
    if (i.values && typeof input === "string") {
      const near = nearest(input, i.values.map(String));
      hint += ` (got '${clipValue(input)}'${near ? `; did you mean '${near}'?` : ""})`;
    }
    return `  ${path}: ${clipValue(issue.message, 300)}${hint}`;
  });
  if (r.error.issues.length > 20) lines.push(`  … and ${r.error.issues.length - 20} more`);
  throw new UsageError(`config ${source} is invalid:\n${lines.join("\n")}`);
}

/** A stable hash of a config object (sorted keys): tokens sidecars and training checkpoints record it. */
export function configHash(config: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === "object"
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]))
      : v;
  return createHash("sha256").update(JSON.stringify(sort(config))).digest("hex").slice(0, 16);
}
