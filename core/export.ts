/**
 * Writes a tokenizer's graphs as standalone `.onnx` files for other runtimes:
 * `encoder.onnx`, `decoder.onnx` (latent → image) and `decode_tokens.onnx`,
 * all pointing into one `model.safetensors` beside them through ONNX external
 * data (location + offset + length), so the weights are stored once and never
 * pass through protobuf.
 *
 * @module
 */
import { join } from "node:path";
import type { Graph } from "./graph/graph.ts";
import type { ExternalRef } from "./onnx/model.ts";
import { encodeModel } from "./onnx/model.ts";
import type { Tensor } from "./tensor.ts";
import { writeFileAtomic } from "./fs.ts";
import { readSafetensors, writeSafetensors } from "./weights/safetensors.ts";
import type { Tokenizer } from "./tokenizer.ts";

/** File names written by {@link exportOnnx}. */
export const EXPORT_FILES = {
  encode: "encoder.onnx",
  decode: "decoder.onnx",
  decodeTokens: "decode_tokens.onnx",
  weights: "model.safetensors",
} as const;

/** Writes the graphs and their weights to `dir`; returns the written paths. */
export function exportOnnx(tok: Tokenizer, dir: string): string[] {
  const used = new Map<string, Tensor>();
  for (const g of Object.values(tok.graphs) as Graph[]) {
    for (const p of g.params.values()) used.set(p.name, tok.weights.get(p.name)!);
  }
  const weightsPath = join(dir, EXPORT_FILES.weights);
  writeSafetensors(weightsPath, used, { format: "pt", producer: "tok1d" });
  // Read the header back to learn where each tensor landed in the file.
  const st = readSafetensors(weightsPath);
  const refs = new Map<string, ExternalRef>();
  for (const [name, [begin, end]] of st.offsets) {
    refs.set(name, { location: EXPORT_FILES.weights, offset: st.dataStart + begin, length: end - begin });
  }
  const meta = {
    family: tok.info.family,
    variant: tok.info.variant,
    token_shape: JSON.stringify(tok.info.tokenShape),
    token_dtype: tok.info.tokenDtype,
    image_size: String(tok.info.imageSize),
    input_range: JSON.stringify(tok.info.inputRange),
  };
  const written = [weightsPath];
  for (const key of ["encode", "decode", "decodeTokens"] as const) {
    const path = join(dir, EXPORT_FILES[key]);
    writeFileAtomic(path, encodeModel(tok.graphs[key], { weights: refs, metadata: meta }));
    written.push(path);
  }
  return written;
}
