/**
 * NumPy `.npz` archives (a zip of `.npy` members): reading selected members
 * without loading the rest — OpenAI's ADM reference batch
 * `VIRTUAL_imagenet256_labeled.npz` is 2 GB of images (`arr_0`) next to the
 * `mu`/`sigma` an FID needs — and writing, deflate-compressed like
 * `np.savez_compressed`. Reading goes through a file descriptor: the central
 * directory (zip64 included, as numpy writes it) is parsed from the file's
 * tail and only the wanted members are read and inflated.
 *
 * @example
 * ```ts
 * const { mu, sigma } = readNpz("VIRTUAL_imagenet256_labeled.npz", ["mu", "sigma"]);
 * writeNpz("stats.npz", { mu, sigma });
 * ```
 * @module
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { inflateSync, zipSync } from "fflate";
import { UsageError } from "../errors.ts";
import { writeFileAtomic } from "../fs.ts";
import type { Tensor } from "../tensor.ts";
import { decodeNpy, encodeNpy } from "../data/npy.ts";

interface Member {
  method: number;
  compressedSize: number;
  size: number;
  offset: number;
}

function readAt(fd: number, position: number, length: number, path: string): Uint8Array {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) {
      throw new UsageError(`${path}: damaged .npz (unexpected end of file at byte ${position + got})`);
    }
    got += n;
  }
  return buf;
}

/** Parses the central directory: member name (without `.npy`) → where its data is. */
function listMembers(fd: number, size: number, path: string): Map<string, Member> {
  const fail = (why: string) => new UsageError(`${path}: not a readable .npz archive (${why})`);
  const tailStart = Math.max(0, size - 22 - 0xffff - 20);
  const tail = readAt(fd, tailStart, size - tailStart, path);
  const tv = new DataView(tail.buffer);
  let eocd = -1;
  for (let p = tail.length - 22; p >= 0; p--) if (tv.getUint32(p, true) === 0x06054b50) (eocd = p, p = -1);
  if (eocd < 0) throw fail("no end-of-central-directory record");
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (eocd >= 20 && tv.getUint32(eocd - 20, true) === 0x07064b50) {
    const rec = readAt(fd, Number(tv.getBigUint64(eocd - 12, true)), 56, path);
    const rv = new DataView(rec.buffer);
    if (rv.getUint32(0, true) !== 0x06064b50) throw fail("zip64 end-of-directory record missing");
    count = Number(rv.getBigUint64(32, true));
    cdSize = Number(rv.getBigUint64(40, true));
    cdOffset = Number(rv.getBigUint64(48, true));
  }
  if (cdOffset + cdSize > size) throw fail("central directory past the end of the file");
  const cd = readAt(fd, cdOffset, cdSize, path);
  const v = new DataView(cd.buffer);
  const members = new Map<string, Member>();
  for (let i = 0, p = 0; i < count; i++) {
    if (p + 46 > cd.length || v.getUint32(p, true) !== 0x02014b50) throw fail(`bad directory entry ${i}`);
    const nameLen = v.getUint16(p + 28, true), extraLen = v.getUint16(p + 30, true);
    const name = new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLen));
    const m: Member = {
      method: v.getUint16(p + 10, true),
      compressedSize: v.getUint32(p + 20, true),
      size: v.getUint32(p + 24, true),
      offset: v.getUint32(p + 42, true),
    };
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
      const id = v.getUint16(e, true), len = v.getUint16(e + 2, true);
      if (id === 1) { // zip64: 64-bit values of the fields that read 0xFFFFFFFF, in this order
        let q = e + 4;
        const big = () => (q += 8, Number(v.getBigUint64(q - 8, true)));
        if (m.size === 0xffffffff) m.size = big();
        if (m.compressedSize === 0xffffffff) m.compressedSize = big();
        if (m.offset === 0xffffffff) m.offset = big();
      }
      e += 4 + len;
    }
    members.set(name.replace(/\.npy$/, ""), m);
    p += 46 + nameLen + extraLen + v.getUint16(p + 32, true);
  }
  return members;
}

/** Names of the arrays in an `.npz` file. */
export function npzNames(path: string): string[] {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    throw new UsageError(`.npz file not found: ${path}`);
  }
  try {
    return [...listMembers(fd, fstatSync(fd).size, path).keys()];
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the named members of an `.npz` file (all of them when `names` is
 * omitted). A missing member is a {@link UsageError} listing the ones present.
 */
export function readNpz(path: string, names?: string[]): Record<string, Tensor> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    throw new UsageError(`.npz file not found: ${path}`);
  }
  try {
    const members = listMembers(fd, fstatSync(fd).size, path);
    const out: Record<string, Tensor> = {};
    for (const name of names ?? [...members.keys()]) {
      const m = members.get(name);
      if (!m) {
        throw new UsageError(`${path} has no array '${name}' (it has ${[...members.keys()].join(", ")})`);
      }
      const local = readAt(fd, m.offset, 30, path);
      const lv = new DataView(local.buffer);
      if (lv.getUint32(0, true) !== 0x04034b50) {
        throw new UsageError(`${path}: member '${name}' has no local header`);
      }
      const start = m.offset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
      const raw = readAt(fd, start, m.compressedSize, path);
      if (m.method !== 0 && m.method !== 8) {
        throw new UsageError(
          `${path}: member '${name}' uses zip method ${m.method}; only stored and deflate are read`,
        );
      }
      const bytes = m.method === 8 ? inflateSync(raw) : raw;
      if (bytes.length !== m.size) throw new UsageError(`${path}: member '${name}' has the wrong size`);
      out[name] = decodeNpy(bytes, `${path}:${name}.npy`);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes arrays as a deflate-compressed `.npz` (the format of `np.savez_compressed`), atomically.
 * `level` 1 by default: covariance matrices of float64 barely compress, and level 6 is several times slower.
 */
export function writeNpz(path: string, arrays: Record<string, Tensor>, level: 0 | 1 | 6 | 9 = 1): void {
  const files = Object.fromEntries(Object.entries(arrays).map(([k, t]) => [`${k}.npy`, encodeNpy(t)]));
  writeFileAtomic(path, zipSync(files, { level }));
}
