/**
 * The small CLI commands: export, info and list (encode and
 * reconstruct live in cli/encode.ts, decode in cli/decode.ts, demo in cli/demo.ts). Each reads
 * flags, calls the library and writes files atomically.
 * @module
 */
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { exportOnnx } from "../core/export.ts";
import type { Plugin } from "../core/plugin.ts";
import { presetRecipe } from "../core/presets.ts";
import { DEFAULT_MODEL_DIR, listPresets, resolveModel } from "../core/resolve.ts";
import { memoGraphs, parameterShapes } from "../core/tokenizer.ts";
import { PLUGINS } from "../plugins/mod.ts";
import { type ModelFlags, outDir, tokenizerFromFlags } from "./common.ts";

function print(json: boolean | undefined, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text);
}

/** `tok1d export`. */
export async function exportCommand(f: ModelFlags & { out: string }): Promise<void> {
  const dir = outDir(f.out);
  const tok = await tokenizerFromFlags(f);
  const written = exportOnnx(tok, dir);
  print(f.json, { files: written }, `wrote ${written.map((p) => basename(p)).join(", ")} to ${dir}`);
}

/** `tok1d info`: shapes and sizes; from the config alone when no weights are named. */
export async function infoCommand(f: ModelFlags): Promise<void> {
  const model = resolveModel(f.model);
  let value: Record<string, unknown>;
  if (!f.weights && !f.random && !model.weights) {
    const shapes = parameterShapes(memoGraphs(model.plugin.graphs(model.config, {})));
    let params = 0;
    for (const s of shapes.values()) params += s.reduce((a, b) => a * b, 1);
    value = {
      ...model.plugin.info(model.config, model.variant),
      parameters: params,
      config: model.configSource,
    };
    value.weights = null;
    // A training recipe has no weights anywhere: say how to make them.
    if (model.recipe) value.train = model.recipe.train;
  } else {
    const tok = await tokenizerFromFlags(f);
    value = { ...tok.info, parameters: tok.parameterCount, config: tok.model.configSource };
    value.weights = f.weights ?? tok.model.weights ?? null;
    value.randomWeights = tok.randomWeights;
    await tok.release();
  }
  const text = Object.entries(value).filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k.padEnd(16)} ${v === null ? "—" : typeof v === "object" ? JSON.stringify(v) : v}`);
  print(f.json, value, text.join("\n"));
}

/**
 * What a preset is, for `tok1d list`: an upstream config (`upstream`: its released weights load
 * with `--weights`, where upstream published any), one of tok1d's training recipes (`recipe`: train
 * it from scratch, there is nothing to fetch) or a test size (`test`: random weights).
 */
export type PresetKind = "upstream" | "recipe" | "test";

/** The order `tok1d list` shows the kinds in, with the heading of each group. */
const KINDS: readonly { kind: PresetKind; heading?: string }[] = [
  { kind: "upstream" },
  { kind: "recipe", heading: "recipes — train from scratch (no weights to fetch):" },
  { kind: "test" },
];

/** One preset as `tok1d list` shows it: its kind, where upstream publishes its weights, or how to train it. */
function presetEntry(p: Plugin<unknown>, name: string) {
  const sources = p.checkpoints?.presets[name] ?? [];
  // The registry suites' sizes, and any `test_*` config (ALIT's test_vae: test-sized, not in the suites).
  const test = name.startsWith("test_") ||
    (p.testPresets ?? Object.keys(p.presets).filter((n) => n.startsWith("tiny"))).includes(name);
  const recipe = sources.length ? undefined : presetRecipe(p.presets[name]);
  const kind: PresetKind = test ? "test" : recipe ? "recipe" : "upstream";
  return {
    name: `${p.name}/${name}`,
    kind,
    testPreset: test,
    checkpoints: sources,
    ...(recipe ? { train: recipe.train, use: `--model ${recipe.model}` } : {}),
  };
}

type Entry = ReturnType<typeof presetEntry>;

/** The text lines of one preset. */
function entryLines(e: Entry): string[] {
  const head = `  ${e.name.padEnd(24)}`;
  const more = " ".repeat(head.length + 2);
  if (e.kind === "test") return [`${head}test size (use --random)`];
  if (e.kind === "recipe") return [`${head}${e.train}`, `${more}→ then ${e.use}`];
  if (!e.checkpoints.length) return [`${head}no released weights (--weights <yours>)`];
  return e.checkpoints.map((c, i) =>
    `${i ? " ".repeat(head.length) : head}${c.label ? `[${c.label}] ` : ""}${c.files.join(" + ")} from ${
      c.where.includes("://") ? "" : "HF "
    }${c.where}\n${more}→ ${c.use}`
  );
}

/**
 * `tok1d list`: `default`, then each family's presets: upstream's with the checkpoint each
 * expects, then tok1d's training recipes with the command that trains each, then the test sizes.
 */
export function listCommand(f: { json?: boolean }): void {
  const families = Object.values(PLUGINS).map((p) => ({
    name: p.name,
    paper: p.paper,
    note: p.checkpoints?.note ?? null,
    presets: Object.keys(p.presets).map((n) => presetEntry(p, n)),
  }));
  const defaultModel = { name: "default", weights: DEFAULT_MODEL_DIR, use: "--model default" };
  const lines = [
    `default  the embedded model (weights/default/, ready to use: --model default)`,
    ...families.flatMap((fam) => [
      "",
      `${fam.name}  ${fam.paper}${fam.note ? `\n  ${fam.note}` : ""}`,
      ...KINDS.flatMap(({ kind, heading }) => {
        const entries = fam.presets.filter((e) => e.kind === kind);
        if (!entries.length) return [];
        return [...(heading ? [`  ${heading}`] : []), ...entries.flatMap(entryLines)];
      }),
    ]),
    "",
    "tok1d never downloads: fetch the files named above, then pass them as shown.",
    "A recipe has no weights anywhere: its command trains it on your photos (README, " +
    '"Train your own small tokenizer").',
  ];
  const recipes = families.flatMap((fam) =>
    fam.presets.filter((e) => e.kind === "recipe").map((e) => e.name)
  );
  print(f.json, { default: defaultModel, families, presets: listPresets(), recipes }, lines.join("\n"));
}

/** The bundled sample photos (CC0/public domain, see tests/testdata/photos/README.md). */
export function samplePhotos(): string[] {
  const dir = fileURLToPath(new URL("../tests/testdata/photos/", import.meta.url));
  return readdirSync(dir).filter((f) => /\.(png|jpe?g|webp)$/i.test(f)).sort().map((f) => join(dir, f));
}
