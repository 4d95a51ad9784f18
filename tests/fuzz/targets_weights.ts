/**
 * Fuzz targets of the checkpoint loaders: safetensors, torch zip, torch
 * legacy and the restricted unpickler on its own.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { parseSafetensors, serializeSafetensors } from "../../core/weights/safetensors.ts";
import { parseTorchCheckpoint } from "../../core/weights/torch_zip.ts";
import { unpickleLegacyTorch } from "../../core/weights/torch_legacy.ts";
import { unpickle } from "../../core/weights/pickle.ts";
import { readZip, zipEntryData } from "../../core/weights/zip.ts";
import { flattenStateDict, selectStateDict } from "../../core/weights/state_dict.ts";
import { tokens } from "./mutate.ts";
import { mutatePickle, rezip, type Target } from "./target.ts";

const DATA = new URL("../testdata/", import.meta.url).pathname;
const file = (p: string) => new Uint8Array(readFileSync(DATA + p));
const ZIPS = ["weights/tiny.bin", "weights/proto4.pt", "weights/nested.ckpt"];

/** Pickle opcodes that found or could find bugs: huge integers and lengths, memo games, cycles, globals. */
export const PICKLE_TOKENS: Uint8Array[] = tokens(
  [0x8b, 0xff, 0xff, 0xff, 0x7f], // LONG4 of 2 GB
  [0x8b, 0x00, 0x00, 0x10, 0x00], // LONG4 of 1 MB
  [0x8a, 0x09, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // LONG1: a bigint
  [0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // BINUNICODE8 of 2^64-1
  [0x7d, 0x71, 0xf0, 0x8c, 0x01, 0x61, 0x68, 0xf0, 0x73], // d = {}; d["a"] = d
  [0x5d, 0x71, 0xf1, 0x68, 0xf1, 0x61], // l = []; l.append(l)
  [0x28],
  [0x32],
  [0x30],
  [0x31],
  [0x61],
  [0x65],
  [0x73],
  [0x75],
  [0x52],
  [0x62],
  [0x51],
  [0x81],
  [0x2e],
  [0x94],
  [0x68, 0x00],
  [0x6a, 0xff, 0xff, 0xff, 0xff],
  [0x72, 0xff, 0xff, 0xff, 0x7f],
  [0x95, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  "ctorch._utils\n_rebuild_tensor_v2\n",
  "ccollections\nOrderedDict\n",
  "cos\nsystem\n",
  "ctorch\nSize\n",
  "I99999999999999999999999\n",
  "(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuJ\xff\xff\xff\x7ftQ",
  [0x4a, 0xff, 0xff, 0xff, 0xff], // BININT -1 (negative sizes and strides)
  [0x4a, 0x00, 0x00, 0x00, 0x80],
);

function pickles(): Uint8Array[] {
  return ZIPS.map((p) => {
    const bytes = file(p);
    const entries = readZip(bytes);
    const pkl = [...entries.keys()].find((n) => n.endsWith("data.pkl"))!;
    return zipEntryData(bytes, entries.get(pkl)!).slice();
  });
}

/** The four checkpoint targets. */
export const WEIGHT_TARGETS: Target[] = [
  {
    name: "safetensors",
    seeds: () => [
      file("weights/tiny.safetensors"),
      serializeSafetensors({ a: { dtype: "float32", shape: [2, 3], data: new Float32Array(6) } }, { k: "v" }),
    ],
    tokens: tokens(
      '"data_offsets":[0,18446744073709551615]',
      '"shape":[4294967296,4294967296]',
      '"dtype":"F64"',
      '"__metadata__":{"a":1}',
      "1e400",
      "-1",
      "{",
      "}",
      "[",
      '"',
      "\\u0000",
    ),
    run: (b) => parseSafetensors(b, "fuzz.safetensors"),
  },
  {
    name: "torch_zip",
    seeds: () => ZIPS.map(file),
    tokens: [
      ...PICKLE_TOKENS,
      ...tokens([0x50, 0x4b, 0x01, 0x02], [0x50, 0x4b, 0x03, 0x04], [0x50, 0x4b, 0x06, 0x06]),
    ],
    structured: (seed, r) =>
      r() < 0.7
        ? rezip(seed, r, /data\.pkl$/, PICKLE_TOKENS, mutatePickle)
        : rezip(seed, r, /data\/|byteorder/, PICKLE_TOKENS),
    run: (b) => parseTorchCheckpoint(b, "fuzz.pth"),
  },
  {
    name: "torch_legacy",
    seeds: () => [file("weights/legacy.pt"), file("metrics/legacy/legacy_state_dict.pth")],
    tokens: PICKLE_TOKENS,
    structured: (seed, r) => mutatePickle(seed, r, PICKLE_TOKENS),
    run: (b) => selectStateDict(unpickleLegacyTorch(b, "fuzz.pth"), { source: "fuzz.pth" }),
  },
  {
    name: "pickle",
    seeds: pickles,
    tokens: PICKLE_TOKENS,
    structured: (seed, r) => mutatePickle(seed, r, PICKLE_TOKENS),
    run: (b) =>
      flattenStateDict(unpickle(b, { source: "fuzz.pkl", persistentLoad: (pid) => pid }), "fuzz.pkl"),
  },
];
