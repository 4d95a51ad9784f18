/**
 * Test-only writer of tux streaming msgpack `params` files, record for record
 * as `StreamingCheckpointer.save_train_state_to_file` writes them:
 * `packb((key_tuple, flax.serialization.to_bytes(array)))`, where `to_bytes`
 * of an array is msgpack ext 1 around msgpack `(shape, dtype name, bytes)`.
 * Also the tiny ElasticTok-shaped trees (scanned layers, FSQ or VAE
 * bottleneck) the loader tests use.
 *
 * @example
 * ```ts
 * writeParamsFile("params", elasticTree("fsq"), "bfloat16");
 * ```
 * @module
 */
import { writeFileSync } from "node:fs";
import { encode, ExtData } from "@msgpack/msgpack";
import type { Tensor } from "../tensor.ts";

/** Sizes of the tiny trees. */
export const TINY = { width: 8, hidden: 12, heads: 2, layers: 2 };

/** float32 → bfloat16 words, round to nearest even. */
export function toBf16(data: Float32Array): Uint8Array {
  const u32 = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (u32[i] + 0x7fff + ((u32[i] >>> 16) & 1)) >>> 16;
  return new Uint8Array(out.buffer);
}

/** The payload `flax.serialization.to_bytes(array)`. */
export function flaxBytes(t: Tensor<"float32">, dtype: "bfloat16" | "float32" = "bfloat16"): Uint8Array {
  const raw = dtype === "bfloat16" ? toBf16(t.data) : new Uint8Array(t.data.slice().buffer);
  return encode(new ExtData(1, encode([t.shape, dtype, raw])));
}

/** One record: msgpack `[key path, payload bin]`. */
export function record(path: string[], payload: Uint8Array): Uint8Array {
  return encode([path, payload]);
}

/** Writes records for `tree` (path → tensor) in order. */
export function writeParamsFile(
  file: string,
  tree: [string[], Tensor<"float32">][],
  dtype: "bfloat16" | "float32" = "bfloat16",
): void {
  const parts = tree.map(([p, t]) => record(p, flaxBytes(t, dtype)));
  const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) all.set(p, (at += p.length) - p.length);
  writeFileSync(file, all);
}

/** Values exact in bfloat16: k/64 for small k, varied by a seed. */
function values(shape: number[], seed: number): Tensor<"float32"> {
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    dtype: "float32",
    shape,
    data: Float32Array.from({ length: n }, (_, i) => (((i * 7 + seed * 13) % 61) - 30) / 64),
  };
}

/** A tiny ElasticTok `params` tree in the released layout (scanned blocks, Flax kernels). */
export function elasticTree(bottleneck: "fsq" | "vae"): [string[], Tensor<"float32">][] {
  const { width: w, hidden: h, layers: l } = TINY;
  const patch = bottleneck === "fsq" ? 1 * 8 * 8 * 3 : 2 * 8 * 8 * 3;
  const [proj, code] = bottleneck === "fsq" ? [6, 6] : [16, 8];
  const blocks = (prefix: string[]): [string[], number[]][] => [
    [[...prefix, "attention", "wq", "kernel"], [l, w, w]],
    [[...prefix, "attention", "wk", "kernel"], [l, w, w]],
    [[...prefix, "attention", "wv", "kernel"], [l, w, w]],
    [[...prefix, "attention", "wo", "kernel"], [l, w, w]],
    [[...prefix, "feed_forward", "w1", "kernel"], [l, w, h]],
    [[...prefix, "feed_forward", "w2", "kernel"], [l, h, w]],
    [[...prefix, "feed_forward", "w3", "kernel"], [l, w, h]],
    [[...prefix, "attention_norm", "kernel"], [l, w]],
    [[...prefix, "ffn_norm", "kernel"], [l, w]],
  ];
  const spec: [string[], number[]][] = [
    [["encoder", "is_kept_embed"], [1, w]],
    [["encoder", "is_masked_embed"], [1, w]],
    [["encoder", "in_proj", "kernel"], [patch, w]],
    ...blocks(["encoder", "encoder_blocks", "scan_decoder"]),
    [["encoder", "ln_f", "kernel"], [w]],
    [["encoder", "pre_quant", "kernel"], [w, proj]],
    [["decoder", "post_quant", "kernel"], [code, w]],
    ...blocks(["decoder", "decoder_blocks", "scan_decoder"]),
    [["decoder", "ln_f", "kernel"], [w]],
    [["decoder", "out_proj", "kernel"], [w, patch]],
  ];
  return spec.map(([p, s], i) => [p, values(s, i + 1)]);
}
