/**
 * Patchify/unpatchify in ElasticTok's (t, h, w, c) order: a hand-written
 * example, one element located by hand for each upstream patch size, the host
 * form (upstream's literal reshape/transpose on a (T, H, W, C) clip) against
 * the graph, and exact round trips for (1, 8, 8) and (2, 8, 8).
 */
import { deepStrictEqual } from "node:assert";
import { f32 } from "../ops/mod.ts";
import { runGraph } from "../quantizers/_testutil.ts";
import { patchify, patchifyClip, type PatchSize, unpatchify } from "./patchify.ts";

/** A (B, T, C, H, W) video whose value spells its coordinates: b·10⁶ + t·10⁵ + c·10⁴ + h·100 + w. */
function video(b: number, t: number, c: number, h: number, w: number) {
  const data: number[] = [];
  for (let i = 0; i < b; i++) {
    for (let a = 0; a < t; a++) {
      for (let k = 0; k < c; k++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) data.push(i * 1e6 + a * 1e5 + k * 1e4 + y * 100 + x);
        }
      }
    }
  }
  return f32([b, t, c, h, w], data);
}

Deno.test("patchify: a hand-written example, patch (2, 2, 2) on T=2, C=2, H=2, W=4", async () => {
  const v = video(1, 2, 2, 2, 4);
  const out = await runGraph(
    (g) => ({ p: patchify(g, g.input("v", "float32", [1, 2, 2, 2, 4]), [2, 2, 2]) }),
    { v },
  );
  // Token 0 covers w ∈ {0, 1}, token 1 w ∈ {2, 3}; inside a token (t, h, w) raster order, channel fastest.
  const token = (w0: number) =>
    [0, 1e5].flatMap((t) =>
      [0, 100].flatMap((h) => [w0, w0 + 1].flatMap((w) => [t + h + w, t + 1e4 + h + w]))
    );
  deepStrictEqual(out.p.shape, [1, 2, 16]);
  deepStrictEqual([...out.p.data], [...token(0), ...token(2)]);
  deepStrictEqual(token(0).slice(0, 6), [0, 10000, 1, 10001, 100, 10100]);
});

for (const [patch, dim] of [[[1, 8, 8], 192], [[2, 8, 8], 384]] as [PatchSize, number][]) {
  Deno.test(`patchify: (${patch}) — element placement by hand, host = graph, exact round trip`, async () => {
    const [B, T, C, H, W] = [2, 4, 3, 16, 16];
    const v = video(B, T, C, H, W);
    const out = await runGraph((g) => {
      const p = patchify(g, g.input("v", "float32", [B, T, C, H, W]), patch);
      return { p, back: unpatchify(g, p, patch, [T, H, W], C) };
    }, { v });
    const tokens = (T / patch[0]) * (H / 8) * (W / 8);
    deepStrictEqual(out.p.shape, [B, tokens, dim]);
    deepStrictEqual(out.back.data, v.data);
    // Sample b=1, frame 3, channel 2, row 13, column 7: patch grid (3/pt, 1, 0), offset (3 mod pt, 5, 7, 2).
    const pt = patch[0];
    const tok = Math.floor(3 / pt) * 4 + 1 * 2 + 0;
    const at = (((3 % pt) * 8 + 5) * 8 + 7) * 3 + 2;
    deepStrictEqual(out.p.data[(tokens + tok) * dim + at], 1e6 + 3e5 + 2e4 + 1300 + 7);
    // Upstream's own recipe on the channel-last clip of sample 0 gives the same tokens.
    const clip = new Float32Array(T * H * W * C);
    for (let a = 0; a < T; a++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          for (let k = 0; k < C; k++) {
            clip[((a * H + y) * W + x) * C + k] = v.data[((a * C + k) * H + y) * W + x] as number;
          }
        }
      }
    }
    deepStrictEqual(
      patchifyClip(clip, [T, H, W, C], patch),
      (out.p.data as Float32Array).subarray(0, tokens * dim),
    );
  });
}
