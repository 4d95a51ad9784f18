/**
 * Lays out parameter bytes as ONNX external data without copying them: every
 * distinct ArrayBuffer that holds parameters (a whole `model.safetensors`
 * read into memory, say) becomes one external-data "file", and each
 * initializer points into it by offset. Only tensors whose dtype differs from
 * the graph's (F16/BF16 checkpoints) are converted, once, into a new buffer.
 *
 * @module
 */
import type { ParamSpec } from "../graph/graph.ts";
import { type Tensor, toFloat32 } from "../tensor.ts";
import type { ExternalRef } from "./model.ts";

/** External data for one session: references per parameter plus the buffers they point into. */
export interface PackedWeights {
  refs: Map<string, ExternalRef>;
  files: { path: string; data: Uint8Array }[];
}

/**
 * Maps each parameter in `params` to bytes in `tensors`. The caller has
 * already checked names and shapes (core/weights reports mismatches).
 */
export function packWeights(params: Iterable<ParamSpec>, tensors: Map<string, Tensor>): PackedWeights {
  const refs = new Map<string, ExternalRef>();
  const buffers = new Map<ArrayBufferLike, string>();
  const files: PackedWeights["files"] = [];
  for (const p of params) {
    let t = tensors.get(p.name);
    // A parameter without weights becomes a graph input (trainable parameters are fed each step).
    if (!t) continue;
    if (t.dtype !== p.dtype) {
      if (p.dtype !== "float32") {
        throw new Error(`parameter ${p.name}: cannot convert ${t.dtype} to ${p.dtype}`);
      }
      t = toFloat32(t);
    }
    const view = t.data as unknown as { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
    let path = buffers.get(view.buffer);
    if (!path) {
      path = `weights_${buffers.size}.bin`;
      buffers.set(view.buffer, path);
      files.push({ path, data: new Uint8Array(view.buffer) });
    }
    refs.set(p.name, { location: path, offset: view.byteOffset, length: view.byteLength });
  }
  return { refs, files };
}
