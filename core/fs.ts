/**
 * File helpers: atomic writes (temporary file in the same folder, written,
 * synced, then renamed), so a killed process never leaves a half-written
 * output behind.
 *
 * Writes go through {@link writeAllSync}, which hands the bytes to the OS in
 * slices of at most {@link WRITE_CHUNK}: under Deno 2.9.6, `writeFileSync` of
 * a buffer past 2 GiB fails (measured: "ENOSPC: no space left on device" with
 * 25 GB free) and `writeSync` refuses a length past 2^31 − 1 outright, while
 * ONNX exports with their weights, checkpoints and `.npy` outputs of large
 * models pass 2 GiB.
 *
 * @module
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** The largest slice given to one write call (1 GiB: under the 2^31 − 1 limit of Deno's node:fs). */
export const WRITE_CHUNK = 1 << 30;

/** How bytes reach a file descriptor: `writeSync`'s signature (a test injects a recorder). */
export type WriteFn = (fd: number, data: Uint8Array, offset: number, length: number) => number;

/** Options of {@link writeAllSync} and {@link writeFileAtomic}. */
export interface WriteOptions {
  /** Bytes per write call (default {@link WRITE_CHUNK}). */
  chunk?: number;
  /** The write call (default `node:fs` writeSync). */
  write?: WriteFn;
}

/** Writes all of `data` to `fd` in slices of at most `chunk` bytes, resuming after short writes. */
export function writeAllSync(fd: number, data: Uint8Array, o: WriteOptions = {}): void {
  const chunk = o.chunk ?? WRITE_CHUNK;
  if (!(Number.isSafeInteger(chunk) && chunk > 0)) {
    throw new RangeError(`write chunk ${chunk}: not a positive integer`);
  }
  const write = o.write ?? ((f, d, off, len) => writeSync(f, d, off, len));
  for (let at = 0; at < data.length;) {
    const n = write(fd, data, at, Math.min(chunk, data.length - at));
    if (!(n > 0)) throw new Error(`write returned ${n} at byte ${at} of ${data.length}`);
    at += n;
  }
}

/** Writes `data` to `path` atomically (temporary file, fsync, rename), creating parent folders. */
export function writeFileAtomic(path: string, data: Uint8Array | string, o: WriteOptions = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const fd = openSync(tmp, "w");
    try {
      writeAllSync(fd, bytes, o);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
