/**
 * Writes a tokenizer's graphs as standalone `.onnx` files for other runtimes —
 * every graph the family declares, `<graph>.onnx` — all pointing into one
 * `model.safetensors` beside them through ONNX external data (location +
 * offset + length), so the weights are stored once and never pass through
 * protobuf. `manifest.json` says how the family's programs chain the graphs
 * (which graph runs first, what feeds the next), so another runtime can
 * reproduce `encode`, `decode` and any adaptive loop.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer("titok/tiny", { random: true });
 * exportOnnx(tok, "out/onnx"); // encoder.onnx, decoder.onnx, decode_tokens.onnx, model.safetensors, manifest.json
 * ```
 * @module
 */
import { join } from "node:path";
import type { ExternalRef } from "./onnx/model.ts";
import { encodeModel } from "./onnx/model.ts";
import type { Tensor } from "./tensor.ts";
import { writeFileAtomic } from "./fs.ts";
import { readSafetensors, writeSafetensors } from "./weights/safetensors.ts";
import type { Tokenizer } from "./tokenizer.ts";

/** File names written by {@link exportOnnx} besides `<graph>.onnx`. */
export const EXPORT_FILES = {
  weights: "model.safetensors",
  manifest: "manifest.json",
} as const;

/** The `.onnx` file of graph `name`. */
export function graphFile(name: string): string {
  return `${name}.onnx`;
}

/** What `manifest.json` holds. */
export interface ExportManifest {
  format: "tok1d-export/1";
  family: string;
  variant: string;
  info: Tokenizer["info"];
  weights: string;
  graphs: Record<string, { file: string; inputs: IoSpec[]; outputs: IoSpec[] }>;
  programs: Record<string, { graphs: readonly string[]; description: string }>;
}

interface IoSpec {
  name: string;
  dtype: string;
  shape: (number | string)[];
}

/** Writes every graph, their weights and the manifest to `dir`; returns the written paths. */
export function exportOnnx(tok: Tokenizer, dir: string): string[] {
  const names = tok.graphNames;
  const used = new Map<string, Tensor>();
  for (const name of names) {
    for (const p of tok.graph(name).params.values()) {
      const t = tok.weights.get(p.name);
      if (!t) {
        throw new Error(
          `export: weight ${p.name} was dropped once graph '${name}' opened; load with keepWeights: true to export after running`,
        );
      }
      used.set(p.name, t);
    }
  }
  const weightsPath = join(dir, EXPORT_FILES.weights);
  writeSafetensors(weightsPath, used, { format: "pt", producer: "tok1d" });
  // Read the header back to learn where each tensor landed in the file.
  const st = readSafetensors(weightsPath);
  const refs = new Map<string, ExternalRef>();
  for (const [name, [begin, end]] of st.offsets) {
    refs.set(name, { location: EXPORT_FILES.weights, offset: st.dataStart + begin, length: end - begin });
  }
  const info = tok.info;
  const meta = {
    family: info.family,
    variant: info.variant,
    token_shape: JSON.stringify(info.tokenShape),
    token_dtype: info.tokenDtype,
    input: JSON.stringify(info.input),
    input_range: JSON.stringify(info.inputRange),
  };
  const written = [weightsPath];
  const io = (vs: readonly { name: string; dtype: string; shape: readonly (number | string)[] }[]) =>
    vs.map((v) => ({ name: v.name, dtype: v.dtype, shape: [...v.shape] }));
  const graphs: ExportManifest["graphs"] = {};
  for (const name of names) {
    const g = tok.graph(name);
    const path = join(dir, graphFile(name));
    writeFileAtomic(path, encodeModel(g, { weights: refs, metadata: { ...meta, graph: name } }));
    graphs[name] = { file: graphFile(name), inputs: io(g.inputs), outputs: io(g.outputs) };
    written.push(path);
  }
  const programs: ExportManifest["programs"] = {};
  for (const [name, p] of Object.entries(tok.programs)) {
    if (p) programs[name] = { graphs: tok.programGraphs(p), description: p.description };
  }
  const manifest: ExportManifest = {
    format: "tok1d-export/1",
    family: info.family,
    variant: info.variant,
    info,
    weights: EXPORT_FILES.weights,
    graphs,
    programs,
  };
  const manifestPath = join(dir, EXPORT_FILES.manifest);
  writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
  written.push(manifestPath);
  return written;
}
