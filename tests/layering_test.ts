/**
 * Imports between core/ops and core/autodiff run one way: the autodiff walker
 * imports the ops (their rules, the registry, the helpers in core/ops/_grad);
 * no file under core/ops — tests included — imports core/autodiff.
 */
import { ok } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Every module specifier in `source`: static imports and re-exports, side-effect and dynamic imports. */
export function specifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^;'"]*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  return patterns.flatMap((p) => [...source.matchAll(p)].map((m) => m[1]));
}

/** The repository-relative path `spec` points at from `file`, for relative specifiers. */
function target(file: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  return relative(ROOT, resolve(dirname(file), spec)).split(sep).join("/");
}

/** `from → to` for each import of a .ts file under `dir` that lands under `forbidden`. */
function importsInto(dir: string, forbidden: string): { files: number; found: string[] } {
  const files = (readdirSync(join(ROOT, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(ROOT, dir, f));
  const found = files.flatMap((file) =>
    specifiers(readFileSync(file, "utf8"))
      .filter((spec) => target(file, spec)?.startsWith(`${forbidden}/`))
      .map((spec) => `${relative(ROOT, file)} → ${spec}`)
  );
  return { files: files.length, found };
}

Deno.test("layering: the scanner sees every form of import", () => {
  const src =
    `import { a } from "./a.ts";\nimport type { B } from '../b.ts';\nexport { c } from "./c.ts";\n` +
    `export * from "./d.ts";\nimport "./e.ts";\nconst f = await import("./f.ts");\nimport {\n  g,\n} from "./g.ts";`;
  ok(
    specifiers(src).sort().join() === "../b.ts,./a.ts,./c.ts,./d.ts,./e.ts,./f.ts,./g.ts",
    specifiers(src).join(),
  );
});

Deno.test("layering: no file in core/ops imports core/autodiff", () => {
  const { files, found } = importsInto("core/ops", "core/autodiff");
  ok(files > 50, `scanned only ${files} files under core/ops`);
  ok(
    found.length === 0,
    `core/ops must not import core/autodiff (move the helper under core/ops):\n${found.join("\n")}`,
  );
});

Deno.test("layering: core/autodiff does import core/ops (the direction the check guards)", () => {
  ok(importsInto("core/autodiff", "core/ops").found.length > 0);
});
