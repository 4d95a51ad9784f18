/**
 * Writing tar archives (POSIX ustar, with a PAX extended header only where a
 * name or size does not fit), byte-for-byte reproducible: every header field
 * comes from the arguments, never from the clock or the user running the
 * program. The defaults are webdataset's `TarWriter` (`mode=0o444`,
 * `uname=gname="bigdata"`), with the modification time fixed instead of "now".
 * Like Python's `tarfile`, an archive ends with two zero blocks and is padded to
 * a multiple of 10240 bytes.
 *
 * Hand-written rather than taken from modern-tar/tar-stream: the format is a
 * 512-byte header per member, and the shard writer needs exact control over
 * every byte (determinism) plus synchronous appends to a file descriptor
 * (crash safety), which both libraries wrap in streams.
 *
 * @example
 * ```ts
 * import { packTar } from "./tar.ts";
 * const tar = packTar([{ name: "00000000.cls", data: new TextEncoder().encode("7") }]);
 * console.log(tar.length); // 10240
 * ```
 * @module
 */
import { UsageError } from "../errors.ts";

/** Size of a tar block. */
export const TAR_BLOCK = 512;
/** Archives are padded to a multiple of this (Python tarfile's RECORDSIZE). */
export const TAR_RECORD = 20 * TAR_BLOCK;

/** Header fields that are the same for every member of an archive. */
export interface TarHeaderOptions {
  /** Modification time, seconds since the epoch (default 0, for reproducible archives). */
  mtime?: number;
  /** Permission bits (default 0o444, as webdataset). */
  mode?: number;
  /** Owner and group names (default "bigdata", as webdataset). */
  uname?: string;
  gname?: string;
}

/** One file of an archive. */
export interface TarEntry {
  name: string;
  data: Uint8Array;
}

const encoder = new TextEncoder();
const MAX_OCTAL_SIZE = 8 ** 11 - 1;

/** Throws unless `name` is a relative path that cannot leave the extraction folder. */
export function checkMemberName(name: string): void {
  const bad = name === "" || name.includes("\0") || name.startsWith("/") ||
    name.split("/").some((part) => part === ".." || part === "");
  if (bad) throw new UsageError(`tar member name '${name}' is not a plain relative path`);
}

function putString(block: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = encoder.encode(value);
  if (bytes.length > length) throw new Error(`tar header field too long: ${value}`);
  block.set(bytes, offset);
}

/** Octal number, zero-padded to `length - 1` digits and NUL-terminated (as tarfile's itn). */
function putOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  putString(block, offset, length, value.toString(8).padStart(length - 1, "0") + "\0");
}

function ustarBlock(name: string, size: number, type: string, o: Required<TarHeaderOptions>): Uint8Array {
  const block = new Uint8Array(TAR_BLOCK);
  putString(block, 0, 100, name);
  putOctal(block, 100, 8, o.mode);
  putOctal(block, 108, 8, 0);
  putOctal(block, 116, 8, 0);
  putOctal(block, 124, 12, size);
  putOctal(block, 136, 12, o.mtime);
  block.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  putString(block, 156, 1, type);
  putString(block, 257, 8, "ustar\x0000");
  putString(block, 265, 32, o.uname);
  putString(block, 297, 32, o.gname);
  putOctal(block, 329, 8, 0);
  putOctal(block, 337, 8, 0);
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += block[i];
  putString(block, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return block;
}

/** A PAX record "<len> key=value\n", where len counts the whole record. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = encoder.encode(body).length;
  let len = bodyLen + 1;
  while (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
  return `${len}${body}`;
}

/** Zero bytes that pad `size` bytes of data to a whole block. */
export function blockPadding(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}

/**
 * The header block(s) of a regular file of `size` bytes: one ustar block, or a
 * PAX block pair before it when the name is longer than 100 bytes or not ASCII,
 * or the size does not fit 11 octal digits.
 *
 * @example
 * ```ts
 * const header = tarHeader("00000001.jpg", 1234, { mtime: 0 }); // 512 bytes
 * ```
 */
export function tarHeader(name: string, size: number, options: TarHeaderOptions = {}): Uint8Array {
  checkMemberName(name);
  const o: Required<TarHeaderOptions> = {
    mtime: options.mtime ?? 0,
    mode: options.mode ?? 0o444,
    uname: options.uname ?? "bigdata",
    gname: options.gname ?? "bigdata",
  };
  if (!Number.isInteger(o.mtime) || o.mtime < 0 || o.mtime > MAX_OCTAL_SIZE) {
    throw new UsageError(`tar mtime must be a non-negative integer of seconds, got ${o.mtime}`);
  }
  const ascii = /^[\x20-\x7e]*$/.test(name);
  const longName = !ascii || encoder.encode(name).length > 100;
  const bigSize = size > MAX_OCTAL_SIZE;
  if (!longName && !bigSize) return ustarBlock(name, size, "0", o);
  const records = (longName ? paxRecord("path", name) : "") +
    (bigSize ? paxRecord("size", String(size)) : "");
  const pax = encoder.encode(records);
  const out = new Uint8Array(2 * TAR_BLOCK + pax.length + blockPadding(pax.length));
  // Python's tarfile names the extended header "././@PaxHeader"; the ustar name is cut to fit.
  out.set(ustarBlock("././@PaxHeader", pax.length, "x", o), 0);
  out.set(pax, TAR_BLOCK);
  const shortName = longName ? name.replace(/[^\x20-\x7e]/g, "_").slice(0, 100) : name;
  out.set(ustarBlock(shortName, bigSize ? 0 : size, "0", o), out.length - TAR_BLOCK);
  return out;
}

/** The end of an archive that already holds `written` bytes: two zero blocks, then record padding. */
export function tarTrailer(written: number): Uint8Array {
  const end = written + 2 * TAR_BLOCK;
  return new Uint8Array(2 * TAR_BLOCK + ((TAR_RECORD - (end % TAR_RECORD)) % TAR_RECORD));
}

/**
 * A whole archive in memory (tests and small files; shards are written
 * incrementally by `ShardWriter`).
 *
 * @example
 * ```ts
 * const tar = packTar([{ name: "a.txt", data: new Uint8Array([104, 105]) }], { mtime: 1700000000 });
 * ```
 */
export function packTar(entries: TarEntry[], options: TarHeaderOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const { name, data } of entries) {
    const header = tarHeader(name, data.length, options);
    parts.push(header, data, new Uint8Array(blockPadding(data.length)));
    size += header.length + data.length + blockPadding(data.length);
  }
  parts.push(tarTrailer(size));
  const out = new Uint8Array(size + parts[parts.length - 1].length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
