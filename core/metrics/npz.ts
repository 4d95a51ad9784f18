/**
 * NumPy `.npz` archives (a zip of `.npy` members): reading selected members
 * without loading the rest — OpenAI's ADM reference batch
 * `VIRTUAL_imagenet256_labeled.npz` is 2 GB of images (`arr_0`) next to the
 * `mu`/`sigma` an FID needs — and writing, deflate-compressed like
 * `np.savez_compressed`. Reading goes through a file descriptor: the central
 * directory (zip64 included, as numpy writes it) is parsed from the file's
 * tail by `weights/zip.ts` and only the wanted members are read and inflated,
 * each capped at its declared size (`BUDGETS.inflatedBytes`, core/budgets.ts).
 *
 * @example
 * ```ts
 * const { mu, sigma } = readNpz("VIRTUAL_imagenet256_labeled.npz", ["mu", "sigma"]);
 * writeNpz("stats.npz", { mu, sigma });
 * ```
 * @module
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { zipSync } from "fflate";
import { UsageError } from "../errors.ts";
import { writeFileAtomic } from "../fs.ts";
import type { Tensor } from "../tensor.ts";
import { decodeNpy, encodeNpy } from "../data/npy.ts";
import {
  findDirectory,
  InflateTally,
  parseDirectory,
  type ReadAt,
  readEntry,
  type ZipEntry,
} from "../weights/zip.ts";

function reader(fd: number, size: number, path: string): ReadAt {
  return (position, length) => {
    if (!(position >= 0 && length >= 0 && position + length <= size)) {
      throw new UsageError(`${path}: damaged .npz (${length} bytes at byte ${position} are past the end)`);
    }
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
  };
}

/** Parses the central directory (through zip.ts): member name (without `.npy`) → its entry. */
function listMembers(fd: number, size: number, path: string): Map<string, ZipEntry> {
  const readAt = reader(fd, size, path);
  const tailStart = Math.max(0, size - 22 - 0xffff - 20);
  const dir = findDirectory(readAt(tailStart, size - tailStart), size, readAt, path);
  const entries = parseDirectory(readAt(dir.offset, dir.size), dir.count, path);
  return new Map([...entries.values()].map((e) => [e.name.replace(/\.npy$/, ""), e]));
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
    const size = fstatSync(fd).size;
    const members = listMembers(fd, size, path);
    const out: Record<string, Tensor> = {};
    const tally = new InflateTally();
    for (const name of names ?? [...members.keys()]) {
      const m = members.get(name);
      if (!m) {
        throw new UsageError(`${path} has no array '${name}' (it has ${[...members.keys()].join(", ")})`);
      }
      const bytes = readEntry(reader(fd, size, path), size, m, path, tally);
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
