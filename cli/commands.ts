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

/** One preset as `tok1d list` shows it: its name and where upstream publishes its weights. */
function presetEntry(p: Plugin<unknown>, name: string) {
  const sources = p.checkpoints?.presets[name] ?? [];
  const test = (p.testPresets ?? Object.keys(p.presets).filter((n) => n.startsWith("tiny"))).includes(name);
  return { name: `${p.name}/${name}`, testPreset: test, checkpoints: sources };
}

/** `tok1d list`: `default`, then each family's presets with the upstream checkpoint each expects. */
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
      ...fam.presets.flatMap((e) => {
        const head = `  ${e.name.padEnd(24)}`;
        if (!e.checkpoints.length) {
          return [
            `${head}${e.testPreset ? "test size (use --random)" : "no released weights (--weights <yours>)"}`,
          ];
        }
        return e.checkpoints.map((c, i) =>
          `${i ? " ".repeat(head.length) : head}${c.label ? `[${c.label}] ` : ""}${
            c.files.join(" + ")
          } from ${c.where.includes("://") ? "" : "HF "}${c.where}` +
          `\n${" ".repeat(head.length + 2)}→ ${c.use}`
        );
      }),
    ]),
    "",
    "tok1d never downloads: fetch the files named above, then pass them as shown.",
  ];
  print(f.json, { default: defaultModel, families, presets: listPresets() }, lines.join("\n"));
}

/** The bundled sample photos (CC0/public domain, see tests/testdata/photos/README.md). */
export function samplePhotos(): string[] {
  const dir = fileURLToPath(new URL("../tests/testdata/photos/", import.meta.url));
  return readdirSync(dir).filter((f) => /\.(png|jpe?g|webp)$/i.test(f)).sort().map((f) => join(dir, f));
}
