/**
 * Lays out parameter bytes as ONNX external data without copying them: every
 * distinct ArrayBuffer that holds parameters (a whole `model.safetensors`
 * read into memory, say) becomes one external-data "file", and each
 * initializer points into it by offset. Only tensors whose dtype differs from
 * the graph's (F16/BF16 checkpoints) are converted, once, into a new buffer.
 * Parameters given as `fileWeights` are read by ONNX Runtime from their file
 * on disk instead (one folder per session), with no copy in JS — unless some
 * other parameter is in memory: ORT takes all external data from memory or all
 * from files, so then their spans are read in.
 *
 * @module
 */
import { closeSync, openSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { ParamSpec } from "../graph/graph.ts";
import { type Tensor, toFloat32 } from "../tensor.ts";
import { readRange } from "../weights/bytes.ts";
import type { ExternalRef } from "./model.ts";

/** External data for one session: references per parameter plus the buffers they point into. */
export interface PackedWeights {
  refs: Map<string, ExternalRef>;
  files: { path: string; data: Uint8Array }[];
  /** The folder of the files ONNX Runtime reads itself (`fileWeights`), if any. */
  folder?: string;
}

/** A parameter's bytes in a file on disk, which ONNX Runtime reads itself. */
export interface FileWeight {
  /** Absolute path. */
  path: string;
  offset: number;
  length: number;
  dtype: string;
}

/**
 * Maps each parameter in `params` to bytes in `tensors`. The caller has
 * already checked names and shapes (core/weights reports mismatches).
 */
export function packWeights(
  params: Iterable<ParamSpec>,
  tensors: ReadonlyMap<string, Tensor>,
  fileWeights: ReadonlyMap<string, FileWeight> = new Map(),
): PackedWeights {
  const refs = new Map<string, ExternalRef>();
  const buffers = new Map<ArrayBufferLike, string>();
  const files: PackedWeights["files"] = [];
  let folder: string | undefined;
  for (const p of params) {
    const onDisk = tensors.has(p.name) ? undefined : fileWeights.get(p.name);
    if (onDisk) {
      // ORT resolves a location against one folder; names of in-memory files never contain a "/".
      if (onDisk.dtype !== p.dtype) {
        throw new Error(`parameter ${p.name}: ${onDisk.dtype} on disk, the graph wants ${p.dtype}`);
      }
      folder ??= dirname(onDisk.path);
      if (dirname(onDisk.path) !== folder) {
        throw new Error(
          `parameter ${p.name}: ${onDisk.path} is not in ${folder}, the session's weights folder`,
        );
      }
      refs.set(p.name, { location: basename(onDisk.path), offset: onDisk.offset, length: onDisk.length });
      continue;
    }
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
      path = `${MEMORY_PREFIX}${buffers.size}.bin`;
      buffers.set(view.buffer, path);
      files.push({ path, data: new Uint8Array(view.buffer) });
    }
    refs.set(p.name, { location: path, offset: view.byteOffset, length: view.byteLength });
  }
  if (folder !== undefined && files.length) {
    // ORT takes external data either all from memory or all from files: with some in memory, the
    // ones on disk are read in too (only the span this session uses of each file).
    readIntoMemory(refs, files, folder);
    folder = undefined;
  }
  return { refs, files, folder };
}

/** Replaces the refs into files of `folder` by refs into one in-memory copy of each file's used span. */
function readIntoMemory(refs: Map<string, ExternalRef>, files: PackedWeights["files"], folder: string): void {
  const onDisk = [...refs].filter(([, r]) => !r.location.startsWith(MEMORY_PREFIX));
  for (const location of new Set(onDisk.map(([, r]) => r.location))) {
    const mine = onDisk.filter(([, r]) => r.location === location);
    const start = Math.min(...mine.map(([, r]) => r.offset));
    const end = Math.max(...mine.map(([, r]) => r.offset + r.length));
    const file = join(folder, location);
    const fd = openSync(file, "r");
    let data: Uint8Array;
    try {
      data = readRange(fd, start, end - start);
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    } finally {
      closeSync(fd);
    }
    const path = `${MEMORY_PREFIX}${files.length}.bin`;
    files.push({ path, data });
    for (const [name, r] of mine) {
      refs.set(name, { location: path, offset: r.offset - start, length: r.length });
    }
  }
}

/** Names of the in-memory external-data "files" (ORT looks a location up among them first). */
const MEMORY_PREFIX = "tok1d-in-memory-weights-";
