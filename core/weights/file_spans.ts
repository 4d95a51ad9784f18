/**
 * Where a loaded tensor's bytes lie in its checkpoint file. A checkpoint is
 * read whole into one buffer, and a tensor the family's `load` passed through
 * unchanged is a view of it: its byte offset in that buffer is its offset in
 * the file. ONNX Runtime can then read such a weight from the file itself
 * (core/runtime/session.ts, `fileWeights`), so a tokenizer need not hold a
 * copy in JS while a session opens — at that moment the JS copy, ORT's own
 * copy and its prepacked panels were alive together, which set the peak
 * memory of loading a model (bench/README.md, "Memory").
 *
 * @example
 * ```ts
 * const bytes = readBytes("model.safetensors");
 * registerFileBytes(bytes, "model.safetensors");
 * fileSpanOf({ dtype: "uint8", shape: [4], data: bytes.subarray(8, 12) }); // { offset: 8, length: 4, … }
 * ```
 * @module
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { DType, Tensor } from "../tensor.ts";
import { UsageError } from "../errors.ts";

/** A tensor's bytes in a file, and what the file was when it was read. */
export interface FileSpan {
  /** Absolute path. */
  path: string;
  offset: number;
  length: number;
  dtype: DType;
  shape: number[];
  /** The file's size and modification time when it was read (see {@link checkUnchanged}). */
  size: number;
  mtimeMs: number;
}

const files = new WeakMap<ArrayBufferLike, { path: string; size: number; mtimeMs: number }>();

/**
 * Records that `bytes` are the whole of file `path`, read just now (a buffer of exactly the file:
 * anything else is ignored, so a view's offset can only mean its offset in the file).
 */
export function registerFileBytes(bytes: Uint8Array, path: string): void {
  if (bytes.byteOffset !== 0 || bytes.buffer.byteLength !== bytes.byteLength) return;
  const stat = statSync(path);
  if (stat.size !== bytes.byteLength) return;
  files.set(bytes.buffer, { path: resolve(path), size: stat.size, mtimeMs: stat.mtimeMs });
}

/** The file span of `t`'s bytes, if they are still a view of a registered file's buffer. */
export function fileSpanOf(t: Tensor): FileSpan | undefined {
  const view = t.data as unknown as { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
  const file = files.get(view.buffer);
  if (!file || view.buffer.byteLength === 0) return undefined; // a detached buffer has length 0
  return { ...file, offset: view.byteOffset, length: view.byteLength, dtype: t.dtype, shape: [...t.shape] };
}

/** Throws a {@link UsageError} when the file changed (size or modification time) since it was read. */
export function checkUnchanged(span: FileSpan): void {
  let now: { size: number; mtimeMs: number };
  try {
    now = statSync(span.path);
  } catch {
    throw new UsageError(`checkpoint ${span.path} was removed after it was loaded; load it again`);
  }
  if (now.size !== span.size || now.mtimeMs !== span.mtimeMs) {
    throw new UsageError(
      `checkpoint ${span.path} changed after it was loaded (size ${span.size} → ${now.size}); load it again`,
    );
  }
}
