/**
 * Builders for the crafted regression files (crafted.ts): pickle opcodes,
 * zip archives with chosen directory entries, raw DEFLATE bombs, tar headers.
 *
 * @module
 */
const enc = new TextEncoder();

/** Concatenates byte strings, text and byte lists. */
export function cat(...parts: (Uint8Array | string | number[])[]): Uint8Array {
  const bs = parts.map((p) =>
    typeof p === "string" ? latin1(p) : p instanceof Uint8Array ? p : Uint8Array.from(p)
  );
  const out = new Uint8Array(bs.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of bs) out.set(b, (at += b.length) - b.length);
  return out;
}

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const u16 = (n: number) => [n & 0xff, (n >>> 8) & 0xff];

/** Pickle pieces (protocol 2). */
export const P = {
  proto: [0x80, 0x02],
  str: (s: string) => cat([0x58, ...u32(enc.encode(s).length)], enc.encode(s)),
  int: (n: number) => [0x4a, ...u32(n)],
  global: (m: string, n: string) => `c${m}\n${n}\n`,
  mark: [0x28],
  tuple: [0x74],
  dict: [0x7d],
  setitem: [0x73],
  setitems: [0x75],
  reduce: [0x52],
  persid: [0x51],
  falsy: [0x89],
  put: (i: number) => [0x71, i],
  get: (i: number) => [0x68, i],
  stop: [0x2e],
};

/** `torch._utils._rebuild_tensor_v2(storage key, offset 0, size, stride)` of a FloatStorage of `numel`. */
export function tensorPickle(
  key: string,
  numel: number,
  size: (number | Uint8Array)[],
  stride: number[],
): Uint8Array {
  const ints = (xs: (number | Uint8Array)[]) =>
    cat(P.mark, ...xs.map((x) => typeof x === "number" ? P.int(x) : x), P.tuple);
  return cat(
    P.global("torch._utils", "_rebuild_tensor_v2"),
    P.mark,
    P.mark,
    P.str("storage"),
    P.global("torch", "FloatStorage"),
    P.str(key),
    P.str("cpu"),
    P.int(numel),
    P.tuple,
    P.persid,
    P.int(0),
    ints(size),
    ints(stride),
    P.falsy,
    P.global("collections", "OrderedDict"),
    P.mark,
    P.tuple,
    P.reduce,
    P.tuple,
    P.reduce,
  );
}

/** A zip member as written: name, method, the bytes stored, the declared size. */
export interface RawMember {
  name: string;
  method: 0 | 8;
  data: Uint8Array;
  size: number;
  /** Point this central entry at another member's local header (overlapping entries). */
  sameAs?: number;
  /** Bytes of the central entry's extra field. */
  extra?: number[];
}

/** A zip archive written member by member, with whatever sizes the members declare. */
export function zip(members: RawMember[]): Uint8Array {
  const locals: Uint8Array[] = [], offsets: number[] = [];
  let at = 0;
  for (const m of members) {
    offsets.push(at);
    if (m.sameAs !== undefined) continue;
    const name = enc.encode(m.name);
    const header = cat(
      u32(0x04034b50),
      u16(20),
      u16(0),
      u16(m.method),
      u32(0),
      u32(0),
      u32(m.data.length),
      u32(m.size),
      u16(name.length),
      u16(0),
      name,
      m.data,
    );
    locals.push(header);
    at += header.length;
  }
  const central = members.map((m, i) => {
    const name = enc.encode(m.name), extra = m.extra ?? [];
    const src = members[m.sameAs ?? i];
    return cat(
      u32(0x02014b50),
      u16(20),
      u16(20),
      u16(0),
      u16(src.method),
      u32(0),
      u32(0),
      u32(src.data.length),
      u32(m.size),
      u16(name.length),
      u16(extra.length),
      u16(0),
      u16(0),
      u16(0),
      u32(0),
      u32(offsets[m.sameAs ?? i]),
      name,
      extra,
    );
  });
  const cd = cat(...central);
  const eocd = cat(
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(members.length),
    u16(members.length),
    u32(cd.length),
    u32(at),
    u16(0),
  );
  return cat(...locals, cd, eocd);
}

/**
 * A raw DEFLATE stream (one fixed-Huffman block) that inflates to
 * `1 + 258 * copies` zero bytes: a literal 0, then `copies` × (length 258,
 * distance 1) at 13 bits each — 1032:1, DEFLATE's largest ratio.
 */
export function deflateBomb(copies: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((3 + 8 + 13 * copies + 7) / 8) + 1);
  let bit = 0;
  const put = (v: number, n: number) => { // LSB first
    for (let i = 0; i < n; i++, bit++) if ((v >> i) & 1) out[bit >> 3] |= 1 << (bit & 7);
  };
  const huff = (code: number, n: number) => { // Huffman codes go MSB first
    for (let i = n - 1; i >= 0; i--, bit++) if ((code >> i) & 1) out[bit >> 3] |= 1 << (bit & 7);
  };
  put(1, 1); // BFINAL
  put(1, 2); // BTYPE = fixed Huffman
  huff(0x30, 8); // literal 0
  for (let i = 0; i < copies; i++) {
    huff(0xc5, 8); // length code 285: 258
    huff(0, 5); // distance code 0: 1
  }
  huff(0, 7); // end of block
  return out.subarray(0, (bit + 7) >> 3);
}

/** A ustar header block for `name` with a raw 12-byte size field and type flag; the checksum is computed. */
export function tarBlock(name: string, sizeField: Uint8Array | string, flag = "0"): Uint8Array {
  const b = new Uint8Array(512);
  b.set(enc.encode(name), 0);
  b.set(enc.encode("0000444\0"), 100);
  b.set(typeof sizeField === "string" ? latin1(sizeField) : sizeField, 124);
  b.set(enc.encode("00000000000\0"), 136);
  b.fill(0x20, 148, 156);
  b[156] = flag.charCodeAt(0);
  b.set(enc.encode("ustar\x0000"), 257);
  let sum = 0;
  for (const v of b) sum += v;
  b.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  return b;
}

/** A PAX record "<len> key=value\n". */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return `${len}${body}`;
}
