/**
 * Writes one webdataset shard crash-safely: members are appended to a hidden
 * temporary file (`.<name>.partial`) beside the target, its SHA-256 is taken
 * as the bytes go out, and only a complete, fsync'ed archive is renamed to
 * its final name. A process killed at any point leaves either no shard or a
 * complete one, plus at most a stale temporary file that the next run
 * removes.
 *
 * @example
 * ```ts
 * import { ShardWriter } from "./shard_writer.ts";
 * const w = new ShardWriter("out/imagenet-val-000000.tar", { mtime: 0 });
 * w.add("00000000.jpg", jpegBytes);
 * w.add("00000000.cls", new TextEncoder().encode("65"));
 * const { bytes, sha256 } = w.finish();
 * ```
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { writeAllSync } from "../fs.ts";
import { blockPadding, tarHeader, type TarHeaderOptions, tarTrailer } from "./tar.ts";

/** The temporary name a shard is written under before it is complete. */
export function partialPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.partial`);
}

const FLUSH_AT = 1 << 20;

/** Appends tar members to a temporary file; {@link finish} renames it into place. */
export class ShardWriter {
  readonly tmp: string;
  private fd: number;
  private hash: Hash = createHash("sha256");
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private written = 0;
  private open = true;

  constructor(readonly path: string, private readonly header: TarHeaderOptions = {}) {
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = partialPath(path);
    this.fd = openSync(this.tmp, "w");
  }

  /** Bytes in the archive so far (headers, data and padding). */
  get size(): number {
    return this.written + this.pendingBytes;
  }

  private push(chunk: Uint8Array): void {
    if (!chunk.length) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    for (const chunk of this.pending) {
      this.hash.update(chunk);
      writeAllSync(this.fd, chunk); // in slices ≤ 1 GiB: one write call of more fails under Deno
    }
    this.written += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Appends one member (a copy of `data` is not taken: do not change it before {@link finish}). */
  add(name: string, data: Uint8Array): void {
    if (!this.open) throw new Error(`${this.path}: shard already finished`);
    this.push(tarHeader(name, data.length, this.header));
    this.push(data);
    this.push(new Uint8Array(blockPadding(data.length)));
  }

  /** Ends the archive, syncs it to disk and renames it into place. */
  finish(): { bytes: number; sha256: string } {
    this.push(tarTrailer(this.size));
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.open = false;
    renameSync(this.tmp, this.path);
    return { bytes: this.written, sha256: this.hash.digest("hex") };
  }

  /** Drops the temporary file (after an error). */
  abort(): void {
    if (this.open) closeSync(this.fd);
    this.open = false;
    rmSync(this.tmp, { force: true });
  }
}
