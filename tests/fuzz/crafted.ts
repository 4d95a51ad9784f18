/**
 * The crafted files that found the denial-of-service and untyped-error bugs
 * of issue 12, generated in code (README.md lists them). Each must now be a
 * UsageError within the fuzz limits; crafted_test.ts runs each in its own
 * process and records its time and peak RSS.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { parseTorchCheckpoint } from "../../core/weights/torch_zip.ts";
import { unpickleLegacyTorch } from "../../core/weights/torch_legacy.ts";
import { selectStateDict } from "../../core/weights/state_dict.ts";
import { unpickle } from "../../core/weights/pickle.ts";
import { readNpz } from "../../core/metrics/npz.ts";
import { readTar } from "../../core/data/tar_read.ts";
import { decodeRgb } from "../../core/data/decode_fast.ts";
import { encodeNpy } from "../../core/data/npy.ts";
import { prepareImage } from "../../core/data/prepare.ts";
import { UsageError } from "../../core/errors.ts";
import { tensor } from "../../core/tensor.ts";
import { cat, deflateBomb, P, paxRecord, type RawMember, tarBlock, tensorPickle, zip } from "./craft.ts";

/** One crafted file: what it is, how to build it, which loader reads it. */
export interface Crafted {
  name: string;
  what: string;
  bytes(): Uint8Array | Promise<Uint8Array>;
  run(bytes: Uint8Array, tmp: string): unknown;
}

const pth = (b: Uint8Array) => parseTorchCheckpoint(b, "crafted.pth");
const legacy = (b: Uint8Array) =>
  selectStateDict(unpickleLegacyTorch(b, "crafted.pth"), { source: "crafted.pth" });
const viaFile = (ext: string, read: (path: string) => unknown) => async (b: Uint8Array, tmp: string) => {
  const path = join(tmp, `crafted.${ext}`);
  writeFileSync(path, b);
  return await read(path);
};
const npz = viaFile("npz", (p) => readNpz(p));
const tar = viaFile("tar", async (p) => {
  for await (const _ of readTar(p)) { /* every member */ }
});
const resize = async (b: Uint8Array) => {
  const r = await prepareImage(b, { kind: "resize", size: 256, quality: 95 }); // tok1d convert --resize
  if (!r.ok) throw new UsageError(`crafted.jpg: ${r.reason}`);
};
const stored = (name: string, data: Uint8Array): RawMember => ({ name, method: 0, data, size: data.length });
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** A legacy torch.save file: magic, protocol, sys info, `object` pickle, storage keys, then the storages. */
function legacyFile(object: Uint8Array, keys: string[], storages: Uint8Array[]): Uint8Array {
  const magic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];
  const sys = cat(P.proto, P.dict, P.str("little_endian"), [0x88], P.setitem, P.stop);
  const keyList = cat(P.proto, P.mark, ...keys.map(P.str), [0x6c], P.stop);
  const data = storages.map((s) => cat(u32(s.length / 4), [0, 0, 0, 0], s));
  return cat(magic, [0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e], sys, object, keyList, ...data);
}

const BOMB_COPIES = 1_800_000; // 2.9 MB of DEFLATE → 464 MB of zeros
const BOMB_OUT = 1 + 258 * BOMB_COPIES;

/** The regression cases. */
export const CRAFTED: Crafted[] = [
  {
    name: "pth_long4_4mb",
    what: "torch zip whose data.pkl is one LONG4 integer of 4 MiB (was: quadratic, never finished)",
    bytes: () => {
      const n = 4 << 20;
      return zip([stored("a/data.pkl", cat(P.proto, [0x8b, ...u32(n)], new Uint8Array(n).fill(1), P.stop))]);
    },
    run: pth,
  },
  {
    name: "pth_deflate_bomb_overlap",
    what: "3 MB torch zip: 14 storages whose entries all point at one DEFLATE stream of 464 MB (was: 6.5 GB)",
    bytes: () => {
      const numel = Math.floor(BOMB_OUT / 4);
      const pkl = cat(
        P.proto,
        P.dict,
        P.mark,
        ...Array.from(
          { length: 14 },
          (_, i) => cat(P.str(`w${i}`), tensorPickle(String(i), numel, [numel], [1])),
        ),
        P.setitems,
        P.stop,
      );
      const bomb: RawMember = { name: "a/data/0", method: 8, data: deflateBomb(BOMB_COPIES), size: BOMB_OUT };
      const more = Array.from(
        { length: 13 },
        (_, i): RawMember => ({ ...bomb, name: `a/data/${i + 1}`, sameAs: 1 }),
      );
      return zip([stored("a/data.pkl", pkl), bomb, ...more]);
    },
    run: pth,
  },
  {
    name: "pth_deflate_bomb_lying",
    what: "3 MB torch zip whose data.pkl declares 64 bytes and inflates to 464 MB",
    bytes: () => zip([{ name: "a/data.pkl", method: 8, data: deflateBomb(BOMB_COPIES), size: 64 }]),
    run: pth,
  },
  {
    name: "pth_stride0_expand",
    what: "1 KB torch zip: a 1-element storage expanded with stride 0 to 32768×32768 float32 (was: 4.3 GB)",
    bytes: () =>
      zip([
        stored(
          "a/data.pkl",
          cat(P.proto, P.dict, P.str("w"), tensorPickle("0", 1, [32768, 32768], [0, 0]), P.setitem, P.stop),
        ),
        stored("a/data/0", new Uint8Array(4)),
      ]),
    run: pth,
  },
  {
    name: "legacy_self_dict",
    what: "legacy torch file whose object is a dict that contains itself (was: stack overflow)",
    bytes: () =>
      legacyFile(cat(P.proto, P.dict, P.put(0), P.str("self"), P.get(0), P.setitem, P.stop), [], []),
    run: legacy,
  },
  {
    name: "legacy_bigint_size",
    what: "legacy torch file with a tensor of size (2^70,) (was: TypeError serializing a BigInt)",
    bytes: () => {
      const big = new Uint8Array([0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x40]); // LONG1 2^70
      const obj = cat(P.proto, P.dict, P.str("w"), tensorPickle("0", 1, [big], [1]), P.setitem, P.stop);
      return legacyFile(obj, ["0"], [new Uint8Array(4)]);
    },
    run: legacy,
  },
  {
    name: "pickle_shared_lists_2e40",
    what: "600-byte pickle: lists of a shared list nested 40 deep, 2^40 values to a walker",
    bytes: () => {
      const parts: (number[] | Uint8Array)[] = [P.proto, [0x4b, 1, 0x85]]; // (1,)
      for (let i = 0; i < 40; i++) parts.push([0x32, 0x86]); // DUP, TUPLE2: (x, x)
      return cat(...parts, P.stop);
    },
    run: (b) => unpickle(b, { source: "crafted.pkl" }),
  },
  {
    name: "npz_bad_extra",
    what: ".npz whose zip64 extra field is shorter than the sizes it must hold (was: RangeError)",
    bytes: () => {
      const npy = encodeNpy(tensor("float32", [2], new Float32Array([1, 2])));
      return zip([{ ...stored("mu.npy", npy), size: 0xffffffff, extra: [1, 0, 2, 0, 9, 9] }]);
    },
    run: npz,
  },
  {
    name: "npz_corrupt_deflate",
    what: ".npz whose deflated member is not a DEFLATE stream (was: a plain Error from fflate)",
    bytes: () => zip([{ name: "mu.npy", method: 8, data: new Uint8Array(40).fill(0xff), size: 128 }]),
    run: npz,
  },
  {
    name: "npz_deflate_bomb",
    what: "3 MB .npz whose member declares 128 bytes and inflates to 464 MB (was: inflated in full)",
    bytes: () => zip([{ name: "mu.npy", method: 8, data: deflateBomb(BOMB_COPIES), size: 128 }]),
    run: npz,
  },
  {
    name: "tar_base256_2e55",
    what: "tar member with a GNU base-256 size of 2^55 (was: RangeError allocating it)",
    bytes: () =>
      cat(
        tarBlock("a.jpg", new Uint8Array([0x80, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0])),
        new Uint8Array(1024),
      ),
    run: tar,
  },
  {
    name: "tar_octal_8gb",
    what: "tar member with an octal size of 8 GiB in a 1.5 KB file (was: allocating 8 GiB)",
    bytes: () => cat(tarBlock("a.jpg", "100000000000"), new Uint8Array(1024)),
    run: tar,
  },
  {
    name: "tar_pax_nan",
    what: "tar whose PAX header says size=NaN",
    bytes: () => {
      const pax = new TextEncoder().encode(paxRecord("size", "NaN"));
      return cat(
        tarBlock("././@PaxHeader", pax.length.toString(8).padStart(11, "0") + "\0", "x"),
        pax,
        new Uint8Array(512 - pax.length),
        tarBlock("a.jpg", "00000000000\0"),
        new Uint8Array(1024),
      );
    },
    run: tar,
  },
  {
    name: "tar_pax_1e12",
    what: "tar whose PAX header says size=1e12 (was: RangeError allocating it)",
    bytes: () => {
      const pax = new TextEncoder().encode(paxRecord("size", "1e12"));
      return cat(
        tarBlock("././@PaxHeader", pax.length.toString(8).padStart(11, "0") + "\0", "x"),
        pax,
        new Uint8Array(512 - pax.length),
        tarBlock("a.jpg", "00000000000\0"),
        new Uint8Array(1024),
      );
    },
    run: tar,
  },
  {
    name: "jpeg_progressive_16384",
    what: "1.4 KB progressive JPEG declaring 16384×16384 (was: 1.7 GB to decode)",
    bytes: () => progressiveJpeg(16384, 16384),
    run: (b) => decodeRgb(b, "crafted.jpg"),
  },
  {
    name: "jpeg_progressive_12000",
    what: "progressive JPEG declaring 12000×12000 (144 M pixels: over the warning, under the refusal)",
    bytes: () => progressiveJpeg(12000, 12000),
    run: (b) => decodeRgb(b, "crafted.jpg"),
  },
  {
    name: "convert_progressive_16384",
    what: "the 16384×16384 progressive JPEG through `tok1d convert`'s resize (was: 1.7 GB to re-encode)",
    bytes: () => progressiveJpeg(16384, 16384),
    run: resize,
  },
  {
    name: "convert_progressive_12000",
    what: "the 12000×12000 progressive JPEG through `tok1d convert`'s resize (under the refusal)",
    bytes: () => progressiveJpeg(12000, 12000),
    run: resize,
  },
];

/** A small progressive JPEG whose frame header is patched to declare `w`×`h`. */
async function progressiveJpeg(w: number, h: number): Promise<Uint8Array> {
  const rgb = new Uint8Array(64 * 48 * 3).map((_, i) => (i * 31) % 256);
  const b = new Uint8Array(
    await sharp(rgb, { raw: { width: 64, height: 48, channels: 3 } }).jpeg({ progressive: true }).toBuffer(),
  );
  for (let i = 2; i + 9 < b.length; i++) {
    if (b[i] === 0xff && b[i + 1] === 0xc2) {
      b.set([h >> 8, h & 0xff, w >> 8, w & 0xff], i + 5);
      return b;
    }
  }
  throw new Error("no SOF2 in sharp's progressive JPEG");
}
