/**
 * A `.npy` written row batch by row batch: rows go to a part file as they
 * come, and `close` writes header + rows to a temporary file renamed over the
 * target, so memory holds one batch and a killed process leaves no half file.
 *
 * @example
 * ```ts
 * const w = new NpyStreamWriter("out/images.npy");
 * for await (const batch of batches) w.append(batch);   // float32 (b,3,H,W) each
 * w.close();                                           // (N,3,H,W)
 * ```
 * @module
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { DType, Tensor } from "../tensor.ts";
import { writeAllSync } from "../fs.ts";
import { npyHeader } from "./npy.ts";

/** Streams batches (same dtype and item shape) into one `.npy` along axis 0. */
export class NpyStreamWriter {
  private readonly part: string;
  private fd: number | undefined;
  private rows = 0;
  private item: number[] | undefined;
  private dtype: DType | undefined;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.part = join(dirname(path), `.${basename(path)}.${process.pid}.part`);
  }

  /** The dtype of the rows (after the first append). */
  get dtypeWritten(): DType | undefined {
    return this.dtype;
  }

  /** Rows written so far. */
  get count(): number {
    return this.rows;
  }

  /** Appends the rows of `t` (its first axis). */
  append(t: Tensor): void {
    if (!this.item) {
      this.item = t.shape.slice(1);
      this.dtype = t.dtype;
      this.fd = openSync(this.part, "w");
    } else if (t.dtype !== this.dtype || t.shape.slice(1).join() !== this.item.join()) {
      throw new Error(`${this.path}: rows ${t.dtype} (${t.shape}) differ from the first (${this.item})`);
    }
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    writeAllSync(this.fd!, bytes);
    this.rows += t.shape[0];
  }

  /** Writes the file; returns its shape (undefined when no row came, and then nothing is written). */
  close(): number[] | undefined {
    if (this.fd === undefined || !this.item || !this.dtype) return undefined;
    closeSync(this.fd);
    this.fd = undefined;
    const shape = [this.rows, ...this.item];
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.tmp`);
    try {
      const w = openSync(tmp, "w");
      try {
        writeAllSync(w, npyHeader(this.dtype, shape));
        const r = openSync(this.part, "r");
        try {
          const buf = new Uint8Array(1 << 22);
          for (let n; (n = readSync(r, buf, 0, buf.length, null)) > 0;) writeAllSync(w, buf.subarray(0, n));
        } finally {
          closeSync(r);
        }
        fsyncSync(w);
      } finally {
        closeSync(w);
      }
      renameSync(tmp, this.path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    } finally {
      rmSync(this.part, { force: true });
    }
    return shape;
  }

  /** Drops what was written. */
  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.part, { force: true });
  }
}
