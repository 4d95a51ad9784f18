/**
 * A small zip central-directory reader for checkpoints written by
 * `torch.save` (STORED entries, zip64 records). Entries come back as views
 * into the archive bytes, so a checkpoint is never copied; DEFLATE entries
 * (from other zip writers, and `.npz`) are inflated by zlib, capped at
 * the size the directory declares and at `BUDGETS.inflatedBytes` (a DEFLATE
 * bomb stops at the cap). Every offset is bounds-checked: a damaged archive is
 * a {@link UsageError}, never a read past the end. `.npz` (core/metrics)
 * reads through a file descriptor with the same directory parser.
 *
 * @example
 * ```ts
 * import { readZip, zipEntryData } from "./zip.ts";
 * const bytes = Deno.readFileSync("model.pth");
 * const entries = readZip(bytes, "model.pth");
 * const pkl = zipEntryData(bytes, entries.get("archive/data.pkl")!, "model.pth");
 * ```
 *
 * @module
 */
import { inflateRawSync } from "node:zlib";
import { UsageError } from "../errors.ts";
import { BUDGETS, overBudget } from "../budgets.ts";

/** One member of a zip archive, as the central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 = STORED, 8 = DEFLATE. */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50, EOCD64 = 0x06064b50, LOCATOR64 = 0x07064b50;
const CENTRAL = 0x02014b50, LOCAL = 0x04034b50;

/** Bounds-checked little-endian reads over some bytes of an archive (the whole file, its tail or its directory). */
class Reader {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array, readonly source: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(msg: string): UsageError {
    return new UsageError(`${this.source}: damaged zip archive: ${msg}`);
  }
  need(pos: number, n: number, what: string): void {
    if (!(pos >= 0 && n >= 0 && pos + n <= this.bytes.byteLength)) {
      throw this.fail(`${what} at byte ${pos} is past the end`);
    }
  }
  u16(pos: number): number {
    this.need(pos, 2, "field");
    return this.view.getUint16(pos, true);
  }
  u32(pos: number): number {
    this.need(pos, 4, "field");
    return this.view.getUint32(pos, true);
  }
  u64(pos: number): number {
    this.need(pos, 8, "field");
    const v = this.view.getBigUint64(pos, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`64-bit field at byte ${pos} is too large`);
    return Number(v);
  }
}

/** True when the bytes start with a zip local-file or end-of-directory signature. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b &&
    ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/** Reads `n` bytes at absolute file position `pos` (bounds-checked by the caller's reader). */
export type ReadAt = (pos: number, n: number) => Uint8Array;

/** Where an archive's central directory is. */
export interface ZipDirectory {
  count: number;
  offset: number;
  size: number;
}

/**
 * Finds the central directory from the archive's `tail` (its last bytes, at
 * least 22 + 65535 + 20 of them when the file has that many); `readAt`
 * fetches a zip64 record elsewhere in the file.
 */
export function findDirectory(
  tail: Uint8Array,
  fileSize: number,
  readAt: ReadAt,
  source = "<bytes>",
): ZipDirectory {
  const r = new Reader(tail, source);
  let eocd = -1;
  for (let p = tail.byteLength - 22; p >= Math.max(0, tail.byteLength - 22 - 0xffff); p--) {
    if (r.view.getUint32(p, true) === EOCD) (eocd = p, p = -1);
  }
  if (eocd < 0) throw r.fail("no end-of-central-directory record");
  const dir = { count: r.u16(eocd + 10), size: r.u32(eocd + 12), offset: r.u32(eocd + 16) };
  if (eocd >= 20 && r.u32(eocd - 20) === LOCATOR64) {
    const at = r.u64(eocd - 20 + 8);
    if (at + 56 > fileSize) throw r.fail("zip64 end-of-directory record is past the end");
    const rec = new Reader(readAt(at, 56), source);
    if (rec.u32(0) !== EOCD64) throw r.fail("zip64 end-of-directory record missing");
    [dir.count, dir.size, dir.offset] = [rec.u64(32), rec.u64(40), rec.u64(48)];
  }
  if (dir.offset + dir.size > fileSize) {
    throw r.fail(`central directory at byte ${dir.offset} is past the end`);
  }
  return dir;
}

/** Parses the `count` entries of a central directory held in `cd`. */
export function parseDirectory(cd: Uint8Array, count: number, source = "<bytes>"): Map<string, ZipEntry> {
  const r = new Reader(cd, source);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (r.u32(p) !== CENTRAL) throw r.fail(`central directory entry ${i} has a bad signature`);
    const flags = r.u16(p + 8);
    const method = r.u16(p + 10);
    let compressedSize = r.u32(p + 20);
    let size = r.u32(p + 24);
    const nameLen = r.u16(p + 28), extraLen = r.u16(p + 30), commentLen = r.u16(p + 32);
    let localHeaderOffset = r.u32(p + 42);
    r.need(p + 46, nameLen + extraLen, "entry name");
    const name = decoder.decode(cd.subarray(p + 46, p + 46 + nameLen));
    if (flags & 1) throw r.fail(`entry '${name}' is encrypted`);
    // zip64 extended information: the 64-bit values of the fields that read 0xFFFFFFFF, in this order.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
      const id = r.u16(e), len = r.u16(e + 2);
      if (id === 1) {
        const end = Math.min(e + 4 + len, p + 46 + nameLen + extraLen);
        let q = e + 4;
        const big = () => {
          if (q + 8 > end) throw r.fail(`entry '${name}' has a short zip64 extra field`);
          return (q += 8, r.u64(q - 8));
        };
        if (size === 0xffffffff) size = big();
        if (compressedSize === 0xffffffff) compressedSize = big();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = big();
      }
      e += 4 + len;
    }
    entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  // Entries sharing or overlapping their data (an overlapping-entry zip bomb) are refused.
  const byOffset = [...entries.values()].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const [prev, cur] = [byOffset[i - 1], byOffset[i]];
    if (cur.localHeaderOffset < prev.localHeaderOffset + 30 + prev.compressedSize) {
      throw r.fail(
        `entries '${prev.name}' and '${cur.name}' overlap (at bytes ${prev.localHeaderOffset} and ${cur.localHeaderOffset})`,
      );
    }
  }
  return entries;
}

/**
 * Reads the central directory of a zip archive.
 *
 * @example
 * ```ts
 * for (const name of readZip(Deno.readFileSync("model.pth"), "model.pth").keys()) console.log(name);
 * ```
 */
export function readZip(bytes: Uint8Array, source = "<bytes>"): Map<string, ZipEntry> {
  const r = new Reader(bytes, source);
  const at: ReadAt = (pos, n) => (r.need(pos, n, "record"), bytes.subarray(pos, pos + n));
  const dir = findDirectory(bytes, bytes.byteLength, at, source);
  return parseDirectory(at(dir.offset, dir.size), dir.count, source);
}

/** DEFLATE's largest ratio: 258 bytes from 2 bits (fixed Huffman, length 258, distance 1), 1032:1. */
const MAX_RATIO = 1032;

/**
 * Inflates `raw` into exactly `size` bytes with zlib's output cap: inflation
 * stops as soon as the output would pass `size` (a DEFLATE bomb is refused
 * after `size` bytes, not after it has inflated), and `size` itself must fit
 * `BUDGETS.inflatedBytes`.
 */
export function inflateCapped(raw: Uint8Array, size: number, source: string, what: string): Uint8Array {
  const fail = (msg: string) => new UsageError(`${source}: damaged zip archive: ${what} ${msg}`);
  if (size > BUDGETS.inflatedBytes) {
    throw overBudget(source, `${what} declaring ${size} inflated bytes`, "inflatedBytes");
  }
  if (size > raw.byteLength * MAX_RATIO + 1024) {
    throw fail(`declares ${size} bytes, more than ${raw.byteLength} deflated bytes can hold`);
  }
  let out: Uint8Array;
  try {
    out = inflateRawSync(raw, { maxOutputLength: Math.max(1, size) });
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw fail(`inflates past the ${size} bytes its directory entry declares; refused`);
    }
    throw fail(`does not inflate (${(e as Error).message})`);
  }
  if (out.byteLength !== size) throw fail(`inflates to ${out.byteLength} bytes, not the ${size} declared`);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Bytes inflated so far from one archive: several directory entries may point
 * at the same deflated data (an overlapping-entry bomb), so the inflated total
 * is budgeted too.
 */
export class InflateTally {
  bytes = 0;
}

/**
 * The bytes of one entry read through `readAt` (positions checked against
 * `fileSize` before anything is read): a view for STORED entries, an inflated
 * copy for DEFLATE ones; any other method is a {@link UsageError}. With a
 * `tally`, the entries inflated through it share one `BUDGETS.inflatedBytes`.
 */
export function readEntry(
  readAt: ReadAt,
  fileSize: number,
  entry: ZipEntry,
  source = "<bytes>",
  tally?: InflateTally,
): Uint8Array {
  const fail = (msg: string) => new UsageError(`${source}: damaged zip archive: ${msg}`);
  const h = entry.localHeaderOffset;
  if (!(h >= 0 && h + 30 <= fileSize)) {
    throw fail(`local header of '${entry.name}' at byte ${h} is past the end`);
  }
  const local = new Reader(readAt(h, 30), source);
  if (local.u32(0) !== LOCAL) throw fail(`entry '${entry.name}' has no local header at byte ${h}`);
  const start = h + 30 + local.u16(26) + local.u16(28);
  if (!(entry.compressedSize >= 0 && start + entry.compressedSize <= fileSize)) {
    throw fail(`data of entry '${entry.name}' at byte ${start} is past the end`);
  }
  if (entry.method !== 0 && entry.method !== 8) {
    throw new UsageError(
      `${source}: zip entry '${entry.name}' uses compression method ${entry.method}; only stored and deflate are supported`,
    );
  }
  if (entry.method === 0 && entry.compressedSize !== entry.size) {
    throw fail(`stored entry '${entry.name}' has two sizes`);
  }
  if (entry.method === 8 && tally) {
    if (tally.bytes + entry.size > BUDGETS.inflatedBytes) {
      throw overBudget(
        source,
        `inflating entry '${entry.name}' (${entry.size} bytes) after ${tally.bytes} inflated bytes`,
        "inflatedBytes",
      );
    }
    tally.bytes += entry.size;
  }
  const raw = readAt(start, entry.compressedSize);
  return entry.method === 0 ? raw : inflateCapped(raw, entry.size, source, `entry '${entry.name}'`);
}

/**
 * The bytes of one entry of an archive in memory: a view for STORED entries,
 * an inflated copy for DEFLATE ones; any other method is a {@link UsageError}.
 *
 * @example
 * ```ts
 * const bytes = Deno.readFileSync("model.pth");
 * const entries = readZip(bytes, "model.pth");
 * const data = zipEntryData(bytes, entries.get("archive/data/0")!, "model.pth");
 * ```
 */
export function zipEntryData(
  bytes: Uint8Array,
  entry: ZipEntry,
  source = "<bytes>",
  tally?: InflateTally,
): Uint8Array {
  return readEntry((pos, n) => bytes.subarray(pos, pos + n), bytes.byteLength, entry, source, tally);
}
