/**
 * The tokenizer's copy of its weights, trimmed as sessions open: ONNX
 * Runtime copies a graph's weights when its session is created
 * (core/runtime/session_weights_test.ts), after which only graphs not opened
 * yet still need them from JS. A checkpoint is read into one buffer, so
 * dropping a tensor frees nothing while another tensor views the same
 * buffer: the survivors are moved into a buffer of their own first (when a
 * quarter of the buffer or more is dropped). A
 * dropped buffer is then detached (`ArrayBuffer.prototype.transfer(0)`),
 * which frees its memory at once: waiting for V8 to collect it left a
 * TiTok-S checkpoint resident for the whole run (bench/README.md, "Memory").
 * A job that names its programs at fp32 goes further: the weights ORT can
 * read from the checkpoint file itself leave JS at load (core/weights/file_spans.ts).
 *
 * @example
 * ```ts
 * retainOnly(weights, new Set(["decoder.conv_in.weight"])); // the rest can be garbage-collected
 * ```
 * @module
 */
import { dirname } from "node:path";
import type { Tensor } from "./tensor.ts";
import { type FileSpan, fileSpanOf } from "./weights/file_spans.ts";

/** Views of a tensor's data buffer, as every typed array has them. */
type View = { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };

/** Buffers at least this large are detached when dropped; smaller ones may be slices of a pool. */
const DETACH_BYTES = 64 * 1024;

/**
 * Deletes from `weights` every entry not in `keep`. Where the deleted
 * tensors of a buffer are at least a third as large as its survivors, the survivors
 * are copied, together, into one new buffer and the old one, if at least
 * 64 KiB, is detached: any other view of it (a tensor taken from `weights`
 * earlier) becomes empty. Returns the bytes copied.
 */
export function retainOnly(weights: Map<string, Tensor>, keep: ReadonlySet<string>): number {
  const bufferOf = (t: Tensor) => (t.data as unknown as View).buffer;
  const droppedBytes = new Map<ArrayBufferLike, number>();
  for (const [name, t] of weights) {
    if (keep.has(name)) continue;
    droppedBytes.set(bufferOf(t), (droppedBytes.get(bufferOf(t)) ?? 0) + t.data.byteLength);
    weights.delete(name);
  }
  const keptBytes = new Map<ArrayBufferLike, number>();
  for (const t of weights.values()) {
    keptBytes.set(bufferOf(t), (keptBytes.get(bufferOf(t)) ?? 0) + t.data.byteLength);
  }
  // Survivors are copied out when at least a quarter of the buffer was dropped: then the copy is
  // at most three times what it frees. The survivors are kept for a session still to open, whose
  // creation holds them plus ORT's staging and prepacked copies: the move's transient (buffer +
  // survivors) stays below that, so moving lowers the next creation's peak by what it frees. A
  // buffer mostly still in use stays (its dropped part goes with it, later). TiTok-L-32 after its
  // encoder opened: 1.2 GB dropped, 1.3 GB moved; keeping the buffer raised the peak while the
  // decoder opened from 5.0 to 6.1 GB. TiTok-S-128's encoder is 31 % of its checkpoint: moving
  // took that peak from 1,114 to ~1,000 MiB (bench/README.md, "memory.ts").
  const freeable = [...droppedBytes].filter(([b, dropped]) => (keptBytes.get(b) ?? 0) <= 3 * dropped).map((
    [b],
  ) => b);
  const movers = [...weights].filter(([, t]) => freeable.includes(bufferOf(t)));
  const copied = movers.length ? move(weights, movers) : 0;
  for (const buffer of freeable) if (buffer.byteLength >= DETACH_BYTES) detach(buffer);
  return copied;
}

/** Copies `movers` into one new buffer (8-byte aligned offsets) and points their entries at it. */
function move(weights: Map<string, Tensor>, movers: [string, Tensor][]): number {
  // One allocation for all movers, each at an offset aligned for 8-byte elements.
  const align = (n: number) => Math.ceil(n / 8) * 8;
  const total = movers.reduce((a, [, t]) => a + align(t.data.byteLength), 0);
  const fresh = new ArrayBuffer(total);
  let at = 0;
  for (const [name, t] of movers) {
    const src = t.data as unknown as View;
    new Uint8Array(fresh, at, src.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
    // The same typed array kind as before (Float32Array, BigInt64Array, Uint16Array for f16…).
    const Kind = t.data.constructor as new (b: ArrayBuffer, offset: number, length: number) => Tensor["data"];
    weights.set(name, { ...t, data: new Kind(fresh, at, t.data.length) } as Tensor);
    at += align(src.byteLength);
  }
  return total;
}

/** Frees a buffer's memory now instead of at V8's next collection (no-op where it cannot be detached). */
function detach(buffer: ArrayBufferLike): void {
  try {
    (buffer as ArrayBuffer & { transfer?: (n: number) => ArrayBuffer }).transfer?.(0);
  } catch {
    // Not detachable (a SharedArrayBuffer, WebAssembly memory): the collector frees it.
  }
}

/**
 * Moves every float32 weight that is still a view of its checkpoint file's bytes (all of them, when
 * the family's `load` passed the tensors through) from `weights` to `into`, ONNX Runtime to read them
 * from the file; with the last view gone, the file's buffer is freed. Only files in one folder (the
 * first weight's): ORT resolves every location against one.
 */
export function handOverToFiles(weights: Map<string, Tensor>, into: Map<string, FileSpan>): void {
  const spans = [...weights].flatMap(([name, t]) => {
    const span = t.dtype === "float32" ? fileSpanOf(t) : undefined;
    return span ? [[name, span] as const] : [];
  });
  const folder = spans.length ? dirname(spans[0][1].path) : "";
  for (const [name, span] of spans) if (dirname(span.path) === folder) into.set(name, span);
  retainOnly(weights, new Set([...weights.keys()].filter((k) => !into.has(k))));
}
