/**
 * Space-time patches in ElasticTok's order (`elastic/data.py`: a (T, H, W, C)
 * clip → reshape (T/tp, tp, H/hp, hp, W/wp, wp, C) → transpose
 * (0, 2, 4, 1, 3, 5, 6) → (tokens, tp·hp·wp·C)): tokens run in raster order
 * over (t, h, w) of the patch grid, and each token's values in (t, h, w, c)
 * order, channel fastest. Upstream patches are (1, 8, 8) for the FSQ model
 * (192 values) and (2, 8, 8) for the VAE model (384 values).
 *
 * tok1d's video layout is (B, T, C, H, W) (frames of its (B, C, H, W)
 * images), so the graph form reorders channels in the same transpose. The
 * host form works on one (T, H, W, C) clip, as upstream's data pipeline.
 *
 * @example
 * ```ts
 * const g = new Graph("demo");
 * const video = g.input("video", "float32", ["batch", 4, 3, 256, 256]);
 * const tokens = patchify(g, video, [1, 8, 8]); // (batch, 4096, 192)
 * const back = unpatchify(g, tokens, [1, 8, 8], [4, 256, 256], 3); // (batch, 4, 3, 256, 256)
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { reshape, transpose } from "../ops/mod.ts";

/** Patch size (tp, hp, wp). */
export type PatchSize = readonly [number, number, number];

function grid(size: readonly number[], patch: PatchSize): [number, number, number] {
  const g = size.map((s, i) => s / patch[i]);
  if (!g.every(Number.isInteger)) {
    throw new Error(`patch size [${patch}] does not divide (T, H, W) = [${size}]`);
  }
  return g as [number, number, number];
}

/** (B, T, C, H, W) → (B, T/tp·H/hp·W/wp, tp·hp·wp·C), values of a patch in (t, h, w, c) order. */
export function patchify(g: Graph, video: Value, patch: PatchSize): Value {
  const [b, t, c, h, w] = video.shape;
  if (![t, c, h, w].every((d) => typeof d === "number")) {
    throw new Error("patchify: T, C, H, W must be static");
  }
  const [nt, nh, nw] = grid([t, h, w] as number[], patch);
  const [pt, ph, pw] = patch;
  // (B, nt, pt, C, nh, ph, nw, pw) → (B, nt, nh, nw, pt, ph, pw, C)
  const split = reshape(g, video, [b, nt, pt, c, nh, ph, nw, pw]);
  const ordered = transpose(g, split, [0, 1, 4, 6, 2, 5, 7, 3]);
  return reshape(g, ordered, [b, nt * nh * nw, pt * ph * pw * (c as number)]);
}

/** The inverse of {@link patchify}: (B, tokens, tp·hp·wp·C) → (B, T, C, H, W). */
export function unpatchify(
  g: Graph,
  tokens: Value,
  patch: PatchSize,
  size: readonly [number, number, number],
  channels = 3,
): Value {
  const b = tokens.shape[0];
  const [nt, nh, nw] = grid(size, patch);
  const [pt, ph, pw] = patch;
  const split = reshape(g, tokens, [b, nt, nh, nw, pt, ph, pw, channels]);
  const ordered = transpose(g, split, [0, 1, 4, 7, 2, 5, 3, 6]);
  return reshape(g, ordered, [b, size[0], channels, size[1], size[2]]);
}

/** Host form on one (T, H, W, C) clip: (tokens, tp·hp·wp·C), exactly upstream's reshape/transpose. */
export function patchifyClip(
  clip: Float32Array,
  size: readonly [number, number, number, number],
  patch: PatchSize,
): Float32Array {
  const [t, h, w, c] = size;
  const [nt, nh, nw] = grid([t, h, w], patch);
  const [pt, ph, pw] = patch;
  if (clip.length !== t * h * w * c) throw new Error(`patchifyClip: ${clip.length} values for [${size}]`);
  const out = new Float32Array(clip.length);
  let o = 0;
  for (let a = 0; a < nt; a++) {
    for (let y = 0; y < nh; y++) {
      for (let x = 0; x < nw; x++) {
        for (let i = 0; i < pt; i++) {
          for (let j = 0; j < ph; j++) {
            const row = ((a * pt + i) * h + y * ph + j) * w + x * pw;
            out.set(clip.subarray(row * c, (row + pw) * c), o);
            o += pw * c;
          }
        }
      }
    }
  }
  return out;
}
