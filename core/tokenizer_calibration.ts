/**
 * Calibration of a tokenizer for `--precision int8` with static int8 convs:
 * before its int8 sessions open, the tokenizer's own programs run once in
 * float32 on a few real photos — `reconstruct` (encode, then decode of those
 * tokens), or `encode` alone for an encode-only job — through sessions that
 * record each conv's input and output range (core/runtime/calibrate.ts). The
 * ranges, by graph, then set each int8 session's activation scales.
 *
 * Default set: the four non-held-out sample photos in tests/testdata/photos
 * (CC0 / public domain; the held-out ones stay unseen for quality checks).
 * A graph the calibration run did not open (an adaptive encoder, a graph of a
 * program not run) gets no ranges: its convs stay float32.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer("titok/s128", { precision: "int8", calibrate: ["a.png", "b.jpg"] });
 * ```
 * @module
 */
import { statSync } from "node:fs";
import { loadImages } from "./data/batch.ts";
import { walkFiles } from "./data/scan.ts";
import { UsageError } from "./errors.ts";
import type { TokenizerInfo } from "./plugin.ts";
import type { Range } from "./runtime/calibrate.ts";
import { INT8_RULE } from "./runtime/int8_pass.ts";
import type { SessionOptions } from "./runtime/session.ts";
import type { Tensor } from "./tensor.ts";

/** Activation ranges by graph name, then by value name. */
export type Calibration = ReadonlyMap<string, ReadonlyMap<string, Range>>;

/** The built-in calibration photos (tests/testdata/photos, not the held-out ones). */
export const CALIBRATION_PHOTOS: readonly string[] = [
  "astronaut.png",
  "chelsea.png",
  "coffee.png",
  "rocket.jpg",
]
  .map((f) => new URL(`../tests/testdata/photos/${f}`, import.meta.url).pathname);

/** The subset of a tokenizer calibration needs: its info and programs. */
export interface Calibratable {
  readonly info: TokenizerInfo;
  encode(images: Tensor): Promise<unknown>;
  reconstruct(images: Tensor): Promise<unknown>;
  release(): Promise<void>;
}

/**
 * Runs `open`'s float32 tokenizer (given a `recordRanges` sink) on `files` — `reconstruct`, or only
 * `encode` when `encodeOnly` — and returns the ranges it recorded per graph.
 */
export async function calibrateTokenizer(
  open: (recordRanges: (graph: string) => Map<string, Range>) => Calibratable,
  files: readonly string[],
  encodeOnly = false,
): Promise<Calibration> {
  const ranges = new Map<string, Map<string, Range>>();
  const sink = (graph: string) => {
    if (!ranges.has(graph)) ranges.set(graph, new Map());
    return ranges.get(graph)!;
  };
  const tok = open(sink);
  try {
    const images = await calibrationInputs(tok.info, files);
    if (encodeOnly) await tok.encode(images);
    else await tok.reconstruct(images);
  } finally {
    await tok.release();
  }
  return ranges;
}

/** `files` at the model's input size: images, or (video models) each image held still for every frame. */
async function calibrationInputs(info: TokenizerInfo, files: readonly string[]): Promise<Tensor> {
  const { height, width } = info.input;
  if (height !== width) {
    throw new UsageError(
      `--calibrate: ${info.family} takes ${height}×${width} inputs; only square models calibrate`,
    );
  }
  const images = await loadImages([...files], height);
  if (info.input.kind === "image") return images;
  const frames = info.input.frames, per = images.data.length / files.length;
  const data = new Float32Array(files.length * frames * per);
  for (let i = 0; i < files.length; i++) {
    for (let f = 0; f < frames; f++) {
      data.set(images.data.subarray(i * per, (i + 1) * per), (i * frames + f) * per);
    }
  }
  return { dtype: "float32", shape: [files.length, frames, ...images.shape.slice(1)], data };
}

/**
 * Image files named by `--calibrate` values (files or folders, in order; a folder's images sorted);
 * a UsageError naming the flag and the path when one is missing or holds no image.
 */
export function calibrationFiles(specs: readonly string[], flag = "--calibrate"): string[] {
  const files: string[] = [];
  for (const spec of specs) {
    let isDir: boolean;
    try {
      isDir = statSync(spec).isDirectory();
    } catch {
      throw new UsageError(`${flag} ${spec}: no such file or folder`);
    }
    const found = isDir
      ? walkFiles(spec).filter((f) => !f.error && IMAGE_FILE.test(f.path)).map((f) => f.path)
      : [spec];
    if (!found.length) throw new UsageError(`${flag} ${spec}: the folder holds no image`);
    files.push(...found);
  }
  return files;
}

const IMAGE_FILE = /\.(png|jpe?g|webp|bmp|tiff?|gif)$/i;

/** `opts` for graph `name`'s session: int8 with that graph's calibrated ranges, when there are any. */
export function sessionOptionsFor<O extends SessionOptions>(opts: O, name: string, c?: Calibration): O {
  const ranges = c?.get(name);
  if (opts.precision !== "int8" || !ranges?.size) return opts;
  return { ...opts, int8: { ...(opts.int8 ?? INT8_RULE), ranges } };
}
