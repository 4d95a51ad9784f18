/**
 * Reading config files (YAML or JSON) and turning zod errors into messages
 * that name the key path and suggest the nearest allowed value.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import YAML from "yaml";
import type { z } from "zod";
import { UsageError } from "./errors.ts";

/** Parses a YAML or JSON config file into a plain object; a parse error names the file. */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`config ${path}: cannot read (${(e as Error).message})`);
  }
  try {
    return path.endsWith(".json") ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new UsageError(
      `config ${path}: not valid ${path.endsWith(".json") ? "JSON" : "YAML"}: ${(e as Error).message}`,
    );
  }
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

/** The allowed value closest to `got` by edit distance. */
export function nearest(got: string, allowed: readonly string[]): string | undefined {
  return [...allowed].sort((x, y) => distance(got, x) - distance(got, y))[0];
}

/** Validates `raw` with `schema`; failures become one UsageError listing each key path. */
export function parseConfig<T>(schema: z.ZodType<T>, raw: unknown, source: string): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const lines = r.error.issues.map((issue) => {
    const path = issue.path.join(".") || "(root)";
    const i = issue as unknown as { values?: unknown[] };
    // zod does not echo the input by default: look it up along the path.
    const input = issue.path.reduce<unknown>(
      (o, k) => (o as Record<PropertyKey, unknown>)?.[k as PropertyKey],
      raw,
    );
    let hint = "";
    if (i.values) hint = `; allowed: ${i.values.join(", ")}`;
    if (i.values && typeof input === "string") {
      const near = nearest(input, i.values.map(String));
      hint += near ? ` (got '${input}'; did you mean '${near}'?)` : "";
    }
    return `  ${path}: ${issue.message}${hint}`;
  });
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
