/**
 * Reading tar archives as a stream of members: ustar, PAX (`path`, `size`)
 * and GNU long names, from a file (read in large chunks, never whole) or from
 * bytes. Header checksums are verified; a damaged or cut archive is a
 * {@link UsageError} naming the file and the byte offset. Sizes are checked
 * before anything is allocated: a member must fit in the bytes left in the
 * file, numeric fields (octal, base-256, PAX decimal) are parsed strictly, and
 * PAX/long-name headers stay within `BUDGETS.tarHeaderBytes`.
 *
 * Member names are data, never file-system paths: nothing here creates files.
 * Non-file members (folders, links, devices) are reported with `type` so that
 * callers can skip them.
 *
 * @example
 * ```ts
 * import { readTar } from "./tar_read.ts";
 * for await (const m of readTar("shard-000000.tar")) console.log(m.name, m.data.length);
 * ```
 * @module
 */
import { open } from "node:fs/promises";
import { UsageError } from "../errors.ts";
import { BUDGETS, overBudget } from "../budgets.ts";
import { blockPadding, TAR_BLOCK } from "./tar.ts";

/** One member of an archive. */
export interface TarMember {
  name: string;
  /** "file" for regular files; other members carry no data. */
  type: "file" | "directory" | "link" | "other";
  /** File contents (empty for non-files, and for every member with `skipData`). */
  data: Uint8Array;
  /** Byte offset of the member's data in the archive. */
  offset: number;
  /** Bytes of the member's data (its `data.length` unless skipped). */
  size: number;
}

/** Reads `n` bytes at the current position; fewer only at the end of the source. */
interface Source {
  /** Total bytes of the archive. */
  size: number;
  read(n: number): Promise<Uint8Array>;
  skip(n: number): Promise<void>;
  close(): Promise<void>;
}

const decoder = new TextDecoder();

function fileSource(path: string, chunk: number): Promise<Source> {
  return open(path, "r").then(async (fh) => {
    const size = await fh.stat().then((s) => s.size, async (e) => {
      await fh.close();
      throw e;
    });
    let buf = new Uint8Array(0);
    let at = 0; // read position inside buf
    let pos = 0; // file position of buf's end
    const fill = async (want: number) => {
      if (buf.length - at >= want) return;
      const rest = buf.subarray(at);
      const next = new Uint8Array(Math.max(chunk, want));
      next.set(rest);
      let have = rest.length;
      while (have < want) {
        const { bytesRead } = await fh.read(next, have, next.length - have, pos);
        if (bytesRead === 0) break;
        have += bytesRead;
        pos += bytesRead;
      }
      buf = next.subarray(0, have);
      at = 0;
    };
    return {
      size,
      async read(n) {
        await fill(n);
        const out = buf.slice(at, at + n);
        at += out.length;
        return out;
      },
      skip(n) {
        const inBuf = Math.min(n, buf.length - at);
        at += inBuf;
        pos += n - inBuf;
        return Promise.resolve();
      },
      close: () => fh.close(),
    };
  });
}

function bytesSource(bytes: Uint8Array): Source {
  let at = 0;
  return {
    size: bytes.length,
    read(n) {
      const out = Uint8Array.prototype.slice.call(bytes, at, at + n);
      at += out.length;
      return Promise.resolve(out);
    },
    skip(n) {
      at += n;
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

function cString(block: Uint8Array, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return decoder.decode(end < 0 ? field : field.subarray(0, end));
}

/**
 * An octal field, or GNU base-256 when the high bit is set; NaN when the field
 * is neither, negative, or past 2^53.
 */
function number(block: Uint8Array, offset: number, length: number): number {
  if (block[offset] & 0x80) {
    if (block[offset] & 0x40) return NaN; // base-256 negative
    let v = block[offset] & 0x3f;
    for (let i = 1; i < length; i++) v = v * 256 + block[offset + i];
    return Number.isSafeInteger(v) ? v : NaN;
  }
  const s = cString(block, offset, length).replace(/^[ ]+|[ \0]+$/g, "");
  if (s === "") return 0;
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : NaN;
}

function checksumOk(block: Uint8Array): boolean {
  let unsigned = 0, signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  const stored = number(block, 148, 8);
  return stored === unsigned || stored === signed;
}

/** PAX records "<len> key=value\n"; a record that does not parse exactly is a UsageError. */
function parsePax(data: Uint8Array, fail: (why: string) => UsageError): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    if (data[at] === 0) break; // NUL padding after the last record
    const space = data.indexOf(0x20, at);
    const digits = space < 0 ? "" : decoder.decode(data.subarray(at, space));
    const len = /^[0-9]{1,9}$/.test(digits) ? Number(digits) : NaN;
    if (!(len > space - at + 1 && at + len <= data.length && data[at + len - 1] === 0x0a)) {
      throw fail(`malformed PAX record at byte ${at} of the extended header`);
    }
    const record = decoder.decode(data.subarray(space + 1, at + len - 1));
    const eq = record.indexOf("=");
    if (eq <= 0) throw fail(`PAX record without a key at byte ${at} of the extended header`);
    out[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  if (out.size !== undefined && !/^[0-9]{1,16}$/.test(out.size)) {
    throw fail(`PAX size '${out.size.slice(0, 40)}' is not a decimal byte count`);
  }
  return out;
}

/** Options of {@link readTar}. */
export interface ReadTarOptions {
  /** Bytes read from the file at a time (default 4 MiB). */
  chunkSize?: number;
  /** Name used in error messages when the source is bytes. */
  name?: string;
  /**
   * Headers only: file members come with `offset` and `size` and empty
   * `data`, their bytes skipped unread (a caller copies what it needs from
   * the file at `offset`, e.g. one large video member at a time).
   */
  skipData?: boolean;
}

/**
 * Iterates over the members of an archive, in archive order.
 *
 * @example
 * ```ts
 * const names: string[] = [];
 * for await (const m of readTar(bytes, { name: "in-memory.tar" })) if (m.type === "file") names.push(m.name);
 * ```
 */
export async function* readTar(
  source: string | Uint8Array,
  options: ReadTarOptions = {},
): AsyncGenerator<TarMember> {
  const label = typeof source === "string" ? source : options.name ?? "<tar bytes>";
  let src: Source;
  try {
    src = typeof source === "string"
      ? await fileSource(source, options.chunkSize ?? 1 << 22)
      : bytesSource(source);
  } catch (e) {
    throw new UsageError(`${label}: cannot open tar file (${(e as Error).message})`);
  }
  let offset = 0;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  try {
    while (true) {
      const block = await src.read(TAR_BLOCK);
      if (block.length === 0 && offset > 0) return; // end without the zero blocks (tolerated, like tarfile)
      if (block.length < TAR_BLOCK) throw new UsageError(`${label}: truncated tar header at byte ${offset}`);
      offset += TAR_BLOCK;
      if (block.every((b) => b === 0)) return;
      if (!checksumOk(block)) {
        throw new UsageError(`${label}: bad tar header checksum at byte ${offset - TAR_BLOCK}`);
      }
      const flag = String.fromCharCode(block[156] || 0x30);
      let size = number(block, 124, 12);
      if (pax.size !== undefined) size = Number(pax.size);
      if (!Number.isSafeInteger(size)) {
        throw new UsageError(`${label}: bad size field in the tar header at byte ${offset - TAR_BLOCK}`);
      }
      if (size > src.size - offset) {
        throw new UsageError(
          `${label}: truncated tar member at byte ${offset} (${size} bytes announced, ` +
            `${Math.max(0, src.size - offset)} left in the file)`,
        );
      }
      const meta = "xgLK".includes(flag);
      if (meta && size > BUDGETS.tarHeaderBytes) {
        throw overBudget(label, `a tar extended header of ${size} bytes at byte ${offset}`, "tarHeaderBytes");
      }
      const hasData = ("07".includes(flag) && !options.skipData) || meta;
      const data = hasData ? await src.read(size) : new Uint8Array(0);
      if (data.length < size && hasData) {
        throw new UsageError(`${label}: truncated tar member at byte ${offset} (${size} bytes announced)`);
      }
      const dataOffset = offset;
      if (!hasData && size > 0) await src.skip(size);
      const pad = blockPadding(size);
      if (pad) await src.skip(pad);
      offset += size + pad;
      if (flag === "x") {
        pax = {
          ...pax,
          ...parsePax(data, (why) => new UsageError(`${label}: ${why} at byte ${dataOffset}`)),
        };
        continue;
      }
      if (flag === "g") continue;
      if (flag === "L") {
        longName = cString(data, 0, data.length);
        continue;
      }
      if (flag === "K") continue;
      const prefix = cString(block, 345, 155);
      const ustarName = cString(block, 0, 100);
      const name = pax.path ?? longName ?? (prefix ? `${prefix}/${ustarName}` : ustarName);
      pax = {};
      longName = undefined;
      const type = flag === "0" || flag === "7"
        ? (name.endsWith("/") ? "directory" : "file")
        : flag === "5"
        ? "directory"
        : flag === "1" || flag === "2"
        ? "link"
        : "other";
      yield { name, type, data: type === "file" ? data : new Uint8Array(0), offset: dataOffset, size };
    }
  } finally {
    await src.close();
  }
}
