/**
 * The tiny ElasticTok trained here (tests/testdata/elastictok_tiny, README
 * there) on held-out clips made in process from the held-out photos (never
 * used in training; no ffmpeg needed): the reconstruction error falls as the
 * kept count per block grows, and the adaptive encode keeps fewer tokens on
 * still shots than on camera moves, and fewer on flat blocks than on detailed
 * ones (split at the median standard deviation of their pixels).
 */
import { ok } from "node:assert";
import { decodeImage } from "../../core/data/image.ts";
import { panZoomClip } from "../../core/data/pan_zoom.ts";
import { Rng } from "../../core/init.ts";
import type { Tensor } from "../../core/tensor.ts";
import { loadTokenizer } from "../../mod.ts";
import { HELDOUT_PHOTOS, moves } from "../../tests/testdata/elastictok_tiny/make_clips.ts";
import { blockDetail } from "../../tests/testdata/elastictok_tiny/evaluate.ts";
import { blockMse } from "./programs.ts";

const MODEL = new URL("../../tests/testdata/elastictok_tiny/", import.meta.url).pathname;

/** Clips of 8 frames of 32² from the held-out photos: `kinds` of moves, 2 of each per photo. */
async function heldout(): Promise<{ video: Tensor<"float32">; kinds: string[] }> {
  const parts: Float32Array[] = [], kinds: string[] = [];
  for (const [p, photo] of HELDOUT_PHOTOS.entries()) {
    const img = await decodeImage(photo);
    for (const [kind, a, b] of moves(img, new Rng(7000 + p), 8)) {
      parts.push(panZoomClip(img, a, b, 8, 32).data);
      kinds.push(kind);
    }
  }
  const data = new Float32Array(parts.length * parts[0].length);
  parts.forEach((d, i) => data.set(d, i * d.length));
  return { video: { dtype: "float32", shape: [parts.length, 8, 3, 32, 32], data }, kinds };
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

Deno.test("elastictok tiny (trained here): held-out error falls with kept tokens; fewer tokens where there is less to say", async () => {
  const tok = await loadTokenizer(MODEL, { threads: 1 });
  try {
    const { video, kinds } = await heldout();
    const curve: number[] = [];
    for (const n of [1, 2, 4, 8, 16, 32, 64]) {
      const rec = await tok.decode(await tok.encode(video, { params: { tokensPerBlock: n } }));
      curve.push(mean(blockMse(rec, video)));
    }
    // Monotone-ish (each step at most 2 % worse), and a large fall overall.
    for (let k = 1; k < curve.length; k++) ok(curve[k] <= curve[k - 1] * 1.02, `curve ${curve}`);
    ok(curve.at(-1)! < 0.5 * curve[0], `curve ${curve}`);
    const t = await tok.encodeAdaptive(video, { threshold: THRESHOLD });
    const per = t.blockCounts!.map((c) => mean(c));
    const still = mean(per.filter((_, i) => kinds[i] === "still"));
    const moving = mean(per.filter((_, i) => kinds[i] !== "still"));
    ok(still < moving, `still ${still} vs moving ${moving} tokens per block`);
    // Flat against detailed: blocks split at the median of their pixel standard deviation.
    const blocks = t.blockCounts!.flatMap((c, i) =>
      c.map((n, j) => ({ n, detail: blockDetail(video, i, j) }))
    );
    blocks.sort((a, b) => a.detail - b.detail);
    const half = blocks.length / 2;
    const flatter = mean(blocks.slice(0, half).map((b) => b.n)),
      detailed = mean(blocks.slice(half).map((b) => b.n));
    ok(flatter < detailed, `flat half ${flatter} vs detailed half ${detailed} tokens per block`);
  } finally {
    await tok.release();
  }
});

/** The threshold the card reports counts at (README.md). */
const THRESHOLD = 0.1;
