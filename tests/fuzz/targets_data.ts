/**
 * Fuzz targets of the data loaders: `.npy`, `.npz`, tar shards, PNG/JPEG/WebP
 * images (header sniffing, then decoding) and YAML/JSON configs.
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { zipSync } from "fflate";
import { decodeNpy, encodeNpy } from "../../core/data/npy.ts";
import { readNpz } from "../../core/metrics/npz.ts";
import { readTar } from "../../core/data/tar_read.ts";
import { packTar } from "../../core/data/tar.ts";
import { decodeRgb } from "../../core/data/decode_fast.ts";
import { parseConfig, readConfigFile } from "../../core/config.ts";
import { titokSchema } from "../../plugins/titok/config.ts";
import { type Tensor, tensor } from "../../core/tensor.ts";
import { pick, tokens } from "./mutate.ts";
import { rezip, type Target } from "./target.ts";

const NPY_TOKENS = tokens(
  "'shape': (4294967296, 4294967296), ",
  "'shape': (",
  "'descr': '>f8', ",
  "'fortran_order': True",
  "(((((((((((((",
  [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x02, 0x00, 0xff, 0xff, 0xff, 0x7f],
);
const ARRAYS: Tensor[] = [
  tensor("float32", [2, 3], Float32Array.from({ length: 6 }, (_, i) => i / 3)),
  tensor("int64", [1, 1, 4], new BigInt64Array([1n, -1n, 5n, 7n])),
  tensor("bool", [3], new Uint8Array([1, 0, 1])),
  tensor("float64", [], new Float64Array([2.5])),
];

const TAR_TOKENS = tokens(
  "30 size=99999999999999999999\n",
  "13 size=NaN\n",
  "14 size=1e12\n",
  "20 path=../../etc/pw\n",
  "77777777777\0",
  "10000000000\0", // 8 GB in octal
  [0x80, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0], // base-256 2^55
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // base-256 -1
  "ustar\x0000",
  "x",
  "L",
  "g",
  "K",
);

/** Size fields: octal of all widths, GNU base-256 (huge, negative), junk. */
const SIZE_FIELDS = [
  "77777777777\0",
  "100000000000",
  "00000001000\0",
  "   1750   \0 ",
  "NaN\0",
  "-1\0",
  "",
  [0x80, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0],
  [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
].map((f) =>
  typeof f === "string" ? new TextEncoder().encode(f.padEnd(12, "\0")).subarray(0, 12) : Uint8Array.from(f)
);
const PAX_BODIES = [
  "size=NaN",
  "size=1e12",
  "size=99999999999999",
  "size=-5",
  "size=",
  "path=",
  "size=12 ",
  "=x",
];

/**
 * Header-aware tar mutation: one header's size field, type flag or (for an
 * extended header) PAX record is rewritten and the checksum recomputed, so
 * that the edit gets past the checksum test.
 */
function mutateTarHeader(seed: Uint8Array, r: () => number): Uint8Array | undefined {
  const heads: number[] = [];
  for (let at = 0; at + 512 <= seed.length && seed[at] !== 0;) {
    heads.push(at);
    const size = parseInt(new TextDecoder().decode(seed.subarray(at + 124, at + 135)), 8) || 0;
    at += 512 + Math.ceil(size / 512) * 512;
  }
  if (!heads.length) return undefined;
  let b = seed.slice();
  const h = heads[pick(r, heads.length)];
  const choice = pick(r, 3);
  if (choice === 0) b.set(SIZE_FIELDS[pick(r, SIZE_FIELDS.length)], h + 124);
  else if (choice === 1) b[h + 156] = "0xLgK5 2"[pick(r, 8)].charCodeAt(0);
  else { // an extended header before the member, with one crafted PAX record
    const rec = new TextEncoder().encode(`${PAX_BODIES[pick(r, PAX_BODIES.length)]}\n`);
    const body = new TextEncoder().encode(`${rec.length + 3} `);
    const data = new Uint8Array(512);
    data.set(body), data.set(rec, body.length);
    const head = b.slice(h, h + 512);
    head.set(new TextEncoder().encode(`${(body.length + rec.length).toString(8).padStart(11, "0")}\0`), 124);
    head[156] = 0x78; // 'x'
    b = Uint8Array.from([...b.subarray(0, h), ...fixSum(head), ...data, ...b.subarray(h)]);
  }
  fixSum(b.subarray(h, h + 512));
  return b;
}

/** Recomputes a header block's checksum in place. */
function fixSum(block: Uint8Array): Uint8Array {
  block.fill(0x20, 148, 156);
  const sum = block.reduce((a, v) => a + v, 0);
  block.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  return block;
}

const IMAGE_TOKENS = tokens(
  [0xff, 0xc2, 0x00, 0x11, 0x08, 0x40, 0x00, 0x40, 0x00, 0x03], // progressive SOF 16384×16384
  [0xff, 0xc0, 0x00, 0x11, 0x08, 0x30, 0x00, 0x30, 0x00, 0x03], // baseline SOF 12288×12288
  [0xff, 0xd9],
  [0xff, 0xda],
  [0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x40, 0x00], // IHDR 16384×16384
  [0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x30, 0x00], // IHDR 12288×12288
  "IDAT",
  "IEND",
  "VP8X",
  "VP8L",
);

const CONFIG_TOKENS = tokens(
  "&a [*a, *a, *a, *a, *a, *a, *a, *a]",
  "*a",
  "!!binary",
  "1e400",
  "-1",
  "null",
  ": {",
  "- ",
  "\n  ",
  '"vit_enc_model_size": "huge"',
  "codebook_size: 99999999999999999999",
  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
);

async function images(format: "png" | "jpeg" | "webp"): Promise<Uint8Array[]> {
  const rgb = new Uint8Array(24 * 16 * 3).map((_, i) => (i * 37) % 251);
  const base = () => sharp(rgb, { raw: { width: 24, height: 16, channels: 3 } });
  const outs = format === "png"
    ? [base().png(), base().greyscale().png(), base().png({ palette: true }), base().ensureAlpha().png()]
    : format === "jpeg"
    ? [base().jpeg(), base().jpeg({ progressive: true }), base().greyscale().jpeg()]
    : [base().webp(), base().webp({ lossless: true }), base().ensureAlpha().webp()];
  return await Promise.all(outs.map(async (s) => new Uint8Array(await s.toBuffer())));
}

function imageTarget(format: "png" | "jpeg" | "webp"): Target {
  return {
    name: format,
    seeds: () => images(format),
    tokens: IMAGE_TOKENS,
    run: (b) => decodeRgb(b, `fuzz.${format}`),
  };
}

function configTarget(ext: "yaml" | "json"): Target {
  const root = new URL("../../configs/titok/", import.meta.url).pathname;
  const yamls = ["tiny.yaml", "s128.yaml"].map((f) => readFileSync(root + f, "utf8"));
  const enc = (s: string) => new TextEncoder().encode(s);
  return {
    name: `config_${ext}`,
    seeds: () =>
      ext === "yaml" ? yamls.map(enc) : yamls.map((y) => enc(JSON.stringify(readConfigText(y), null, 1))),
    tokens: CONFIG_TOKENS,
    run: (b, tmp) => {
      const path = join(tmp, `fuzz.${ext}`);
      writeFileSync(path, b);
      return parseConfig(titokSchema, readConfigFile(path), path);
    },
  };
}

function readConfigText(yaml: string): unknown {
  const dir = Deno.makeTempDirSync();
  const path = join(dir, "c.yaml");
  writeFileSync(path, yaml);
  const v = readConfigFile(path);
  Deno.removeSync(dir, { recursive: true });
  return v;
}

/** The data targets. */
export const DATA_TARGETS: Target[] = [
  {
    name: "npy",
    seeds: () => ARRAYS.map(encodeNpy),
    tokens: NPY_TOKENS,
    run: (b) => decodeNpy(b, "fuzz.npy"),
  },
  {
    name: "npz",
    seeds: () =>
      [0, 1].map((level) =>
        zipSync(
          Object.fromEntries(ARRAYS.map((t, i) => [`a${i}.npy`, [encodeNpy(t), { level: level as 0 | 1 }]])),
        )
      ),
    tokens: [
      ...NPY_TOKENS,
      ...tokens([0x50, 0x4b, 0x01, 0x02], [0x50, 0x4b, 0x05, 0x06], [0x01, 0x00, 0x10, 0x00]),
    ],
    structured: (seed, r) => rezip(seed, r, /\.npy$/, NPY_TOKENS),
    run: (b, tmp) => {
      const path = join(tmp, "fuzz.npz");
      writeFileSync(path, b);
      return readNpz(path);
    },
  },
  {
    name: "tar",
    seeds: () => [
      packTar([
        { name: "00000001.jpg", data: new Uint8Array(700).fill(7) },
        { name: "00000001.cls", data: new TextEncoder().encode("3") },
      ]),
      packTar([{ name: "d/" + "k".repeat(120) + ".png", data: new Uint8Array(30) }], { mtime: 1700000000 }),
    ],
    tokens: TAR_TOKENS,
    structured: (seed, r) => mutateTarHeader(seed, r),
    run: async (b, tmp) => {
      for await (const _ of readTar(b, { name: "fuzz.tar" })) { /* every member */ }
      const path = join(tmp, "fuzz.tar");
      writeFileSync(path, b);
      for await (const _ of readTar(path, { chunkSize: 4096 })) { /* and from a file */ }
    },
  },
  imageTarget("png"),
  imageTarget("jpeg"),
  imageTarget("webp"),
  configTarget("yaml"),
  configTarget("json"),
];
