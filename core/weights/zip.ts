/**
 * A small zip central-directory reader for checkpoints written by
 * `torch.save` (STORED entries, zip64 records). Entries come back as views
 * into the archive bytes, so a checkpoint is never copied; DEFLATE entries
 * (from other zip writers) are inflated through fflate. Every offset is
 * bounds-checked: a damaged archive is a {@link UsageError}, never a read
 * past the end.
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
import { inflateSync } from "fflate";
import { UsageError } from "../errors.ts";

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

/** Bounds-checked little-endian reads over the archive bytes. */
class Reader {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array, readonly source: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(msg: string): UsageError {
    return new UsageError(`${this.source}: damaged zip archive: ${msg}`);
  }
  need(pos: number, n: number, what: string): void {
    if (!(pos >= 0 && pos + n <= this.bytes.byteLength)) {
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

function findEocd(r: Reader): number {
  const min = Math.max(0, r.bytes.byteLength - 22 - 0xffff);
  for (let p = r.bytes.byteLength - 22; p >= min; p--) {
    if (r.view.getUint32(p, true) === EOCD) return p;
  }
  throw r.fail("no end-of-central-directory record");
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
  const eocd = findEocd(r);
  let count = r.u16(eocd + 10);
  let cdSize = r.u32(eocd + 12);
  let cdOffset = r.u32(eocd + 16);
  if (eocd >= 20 && r.u32(eocd - 20) === LOCATOR64) {
    const rec = r.u64(eocd - 20 + 8);
    if (r.u32(rec) !== EOCD64) throw r.fail("zip64 end-of-directory record missing");
    count = r.u64(rec + 32);
    cdSize = r.u64(rec + 40);
    cdOffset = r.u64(rec + 48);
  }
  r.need(cdOffset, cdSize, "central directory");
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (r.u32(p) !== CENTRAL) throw r.fail(`central directory entry ${i} has a bad signature`);
    const flags = r.u16(p + 8);
    const method = r.u16(p + 10);
    let compressedSize = r.u32(p + 20);
    let size = r.u32(p + 24);
    const nameLen = r.u16(p + 28), extraLen = r.u16(p + 30), commentLen = r.u16(p + 32);
    let localHeaderOffset = r.u32(p + 42);
    r.need(p + 46, nameLen + extraLen, "entry name");
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    if (flags & 1) throw r.fail(`entry '${name}' is encrypted`);
    // zip64 extended information: the 64-bit values of the fields that read 0xFFFFFFFF, in this order.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
      const id = r.u16(e), len = r.u16(e + 2);
      if (id === 1) {
        let q = e + 4;
        if (size === 0xffffffff) {
          size = r.u64(q);
          q += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = r.u64(q);
          q += 8;
        }
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = r.u64(q);
      }
      e += 4 + len;
    }
    entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/**
 * The bytes of one entry: a view for STORED entries, an inflated copy for
 * DEFLATE ones; any other method is a {@link UsageError}.
 *
 * @example
 * ```ts
 * const bytes = Deno.readFileSync("model.pth");
 * const entries = readZip(bytes, "model.pth");
 * const data = zipEntryData(bytes, entries.get("archive/data/0")!, "model.pth");
 * ```
 */
export function zipEntryData(bytes: Uint8Array, entry: ZipEntry, source = "<bytes>"): Uint8Array {
  const r = new Reader(bytes, source);
  const h = entry.localHeaderOffset;
  if (r.u32(h) !== LOCAL) throw r.fail(`entry '${entry.name}' has no local header at byte ${h}`);
  const start = h + 30 + r.u16(h + 26) + r.u16(h + 28);
  r.need(start, entry.compressedSize, `data of entry '${entry.name}'`);
  const raw = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) throw r.fail(`stored entry '${entry.name}' has two sizes`);
    return raw;
  }
  if (entry.method === 8) {
    let out: Uint8Array;
    try {
      out = inflateSync(raw);
    } catch (e) {
      throw r.fail(`entry '${entry.name}' does not inflate (${(e as Error).message})`);
    }
    if (out.byteLength !== entry.size) throw r.fail(`entry '${entry.name}' inflates to the wrong size`);
    return out;
  }
  throw new UsageError(
    `${source}: zip entry '${entry.name}' uses compression method ${entry.method}; only stored and deflate are supported`,
  );
}
